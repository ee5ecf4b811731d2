"""The portal's pages, by what they are about: her stories, her receipts, her data rights,
her payments, how to reach her, and campaigns for the advisory group to read."""
