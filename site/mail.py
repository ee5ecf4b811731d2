"""The development email backend: prints each message, with every address masked.

Django's console backend prints whole messages, recipients included, to the process's
output, which ends up in logs; a storyteller's address must never be there. This one prints
the subject and body as they are and writes every address as its first letters
(``amara@example.org`` → ``a•••@e•••.org``), display names dropped. It is for development
only: production refuses to start without a real ``EMAIL_URL`` (settings/production.py).
"""

import re

from django.core.mail.backends.console import EmailBackend as ConsoleBackend

ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@(?:[\w-]+\.)+[\w-]+", re.UNICODE)
ADDRESS_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Sender")


def mask_address(address):
    """``amara@example.org`` → ``a•••@e•••.org``: enough to tell messages apart, no more."""
    local, _, domain = address.rpartition("@")
    host, _, top = domain.rpartition(".")
    return f"{local[:1]}•••@{host[:1]}•••.{top}"


def mask_addresses(text):
    return ADDRESS.sub(lambda match: mask_address(match.group(0)), text)


class MaskedConsoleBackend(ConsoleBackend):
    """Django's console backend, with no address (or display name) left readable."""

    def write_message(self, message):
        lines = [
            f"Subject: {message.subject}",
            f"From: {mask_addresses(str(message.from_email))}",
        ]
        for header, addresses in (("To", message.to), ("Cc", message.cc), ("Bcc", message.bcc)):
            if addresses:
                masked = ", ".join(mask_addresses(str(address)) for address in addresses)
                lines.append(f"{header}: {masked}")
        for header, value in message.extra_headers.items():
            if header in ADDRESS_HEADERS or "@" in str(value):
                value = mask_addresses(str(value))
            lines.append(f"{header}: {value}")
        # Display names ("Amara Okafor <a@…>") could name her: only the masked address stays.
        lines = [re.sub(r"[^,:]*<([^>]*)>", r" \1", line) for line in lines]
        body = mask_addresses(message.body)
        self.stream.write("\n".join(lines) + "\n\n" + body + "\n" + "-" * 79 + "\n")
