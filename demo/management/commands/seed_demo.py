"""Seed a demo site with a story in every consent state. Safe to run twice."""

import io
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from PIL import Image as PILImage
from wagtail.models import Page, Site, Workflow

from compensation import services as payments
from compensation.models import (
    Agreement,
    CompensationResponse,
    Payment,
    PaymentMethod,
    PaymentPreference,
    Work,
)
from consent import services
from consent.models import Storyteller
from consent.selectors import today
from consent.signals import DEFAULT_WORKFLOW_NAME
from images.models import SaysoImage
from stories.models import (
    CampaignIndexPage,
    CampaignPage,
    CampaignStory,
    ContentWarning,
    HomePage,
    StoryIndexPage,
    StoryPage,
    Topic,
)

DEMO_PASSWORD = "sayso-demo"  # noqa: S105 (documented demo-only password)

# Made-up personal details, stored encrypted, that no public page may ever show (the leak
# scan in tests/integration/stories/test_leak_scan.py crawls the seeded site for every one of them).
PERSONAL_DETAILS = {
    "amara": {
        "email": "adaeze.okonkwo@example.org",
        "legal_name": "Adaeze Okonkwo",
        "phone": "+234 803 555 0199",
        "postal_address": "14 Ogui Road\nEnugu\nNigeria",
        "contact_notes": "Text first. Ask for Ada; never mention the organisation.",
        "private_terms": "Okonkwo\nEnugu\nChidi\nOgui Road",
    },
    "lucia": {
        "email": "",
        "legal_name": "María Lucía Ferrer",
        "phone": "+63 917 555 0142",
        "postal_address": "Purok 3, Barangay San Isidro\nIloilo City\nPhilippines",
        "contact_notes": "Only through her caseworker, Tuesdays.",
        "private_terms": "Ferrer\nIloilo\nRosario\nSan Isidro",
    },
}

STORIES = [
    # slug, title, storyteller, state, summary, body, warnings, topics, region, with photo
    (
        "the-market-at-dawn",
        "The market at dawn",
        "amara",
        "published",
        "How a job offer at a city market turned into two years of unpaid work.",
        "<p>I was promised a stall of my own and wages every Friday.</p>"
        "<p>What I got was a debt that grew faster than I could work. "
        "Today I run a <b>savings group</b> for women who sell at the same market.</p>",
        ["Debt bondage", "Coercion"],
        ["Labour"],
        "NG",
        True,
    ),
    (
        "learning-to-sleep-again",
        "Learning to sleep again",
        "amara",
        "waiting",
        "The slow work of feeling safe in a room of my own.",
        "<p>For the first months I slept with the light on.</p>",
        ["Trauma"],
        ["Recovery"],
        "NG",
        False,
    ),
    (
        "the-fishing-boat",
        "The fishing boat",
        "lucia",
        "changes_requested",
        "Eighteen months at sea without a port call.",
        "<p>We were told the contract was for six months.</p>",
        ["Violence"],
        ["Labour"],
        "PH",
        False,
    ),
    (
        "a-kitchen-in-the-city",
        "A kitchen in the city",
        "lucia",
        "withdrawn",
        "Domestic work behind a locked door.",
        "<p>My passport was kept in a drawer I was not allowed to open.</p>",
        ["Confinement"],
        ["Domestic work"],
        "PH",
        False,
    ),
    (
        "what-the-recruiter-said",
        "What the recruiter said",
        "amara",
        "expired",
        "The words that made a bad offer sound like a way out.",
        "<p>He said everyone in my village who went abroad came back with a house.</p>",
        [],
        ["Recruitment"],
        "NG",
        False,
    ),
    (
        "notes-for-a-first-draft",
        "Notes for a first draft",
        "lucia",
        "draft",
        "A story still being written together.",
        "<p>Some days I want to tell everything, some days nothing.</p>",
        [],
        ["Recovery"],
        "PH",
        False,
    ),
]

# What the storytellers are paid: together, every state a payment can be in. The story
# agreements are recorded before review, since a story is published only once its payment
# is agreed (or its storyteller chose not to be paid).
# slug: (amount, currency, payments, the storyteller's answer to the first, a correction)
STORY_PAYMENTS = {
    "the-market-at-dawn": ("75000", "NGN", ["75000"], "received", None),
    "learning-to-sleep-again": ("60000", "NGN", ["20000"], None, None),
    "the-fishing-boat": ("4000", "PHP", ["2500"], "problem", None),
    "a-kitchen-in-the-city": ("5000", "PHP", ["5000"], "received", "500"),
}
# Amara chose, in her own space, not to be paid for this one.
STORY_DECLINED = {"what-the-recruiter-said"}
# Work that is not a story (the advisory group was paid more than agreed, by mistake):
# teller, work, description, basis, amount, currency, hours, payments, their answer.
OTHER_WORK = [
    ("amara", Work.SPEAKING, "Talk at the spring event", "flat", "200", "GBP", None, [], "yes"),
    ("lucia", Work.ADVISORY, "Advisory group", "hourly", "750", "PHP", "4", ["3500"], None),
    ("lucia", Work.REVIEW, "Reading the new leaflet", "flat", "1000", "PHP", None, [], "no"),
]
PREFERENCES = {
    "amara": (PaymentMethod.MOBILE_MONEY, "Wallet number ends 0199; text before sending.", True),
    "lucia": (PaymentMethod.CASH, "Through her caseworker, Tuesdays only.", False),
}


def configured_host():
    """(hostname, port) of WAGTAILADMIN_BASE_URL, where the site is reached."""
    address = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    default_port = 443 if address.scheme == "https" else 80
    return address.hostname or "localhost", address.port or default_port


class Command(BaseCommand):
    help = "Seed the demo site: amara, lucia, editor and admin (password sayso-demo)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Seed even with DEBUG off (never in production)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is off: refusing to seed demo accounts. Use --force.")
        with transaction.atomic():
            users = self.seed_people()
            home = self.seed_home()
            story_index = self.child(
                home,
                StoryIndexPage,
                "stories",
                "Stories",
                intro="<p>Stories told by the people who lived them.</p>",
            )
            campaign_index = self.child(home, CampaignIndexPage, "campaigns", "Campaigns")
            photo = self.seed_photo()
            stories = {row[0]: self.seed_story(story_index, row, users, photo) for row in STORIES}
            self.seed_payments(stories, users)
            self.seed_campaigns(home, campaign_index, stories, users["editor"])
        self.stdout.write(
            self.style.SUCCESS(
                "Demo site ready: log in as amara, lucia, editor or "
                f"admin with the password {DEMO_PASSWORD}."
            )
        )

    # People

    def seed_people(self):
        User = get_user_model()
        admin, _ = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        editor, _ = User.objects.get_or_create(username="editor", defaults={"first_name": "Eda"})
        editor.groups.add(Group.objects.get(name="Editors"), Group.objects.get(name="Moderators"))
        users = {"admin": admin, "editor": editor}
        for username, pseudonym, contact in [
            ("amara", "Amara", Storyteller.Contact.EMAIL),
            ("lucia", "Lucía", Storyteller.Contact.NONE),
        ]:
            storyteller = Storyteller.objects.filter(user__username=username).first()
            if storyteller is None:
                storyteller = services.create_storyteller(
                    pseudonym=pseudonym, contact_preference=contact, username=username
                )
            users[username] = storyteller.user
            self.seed_personal_details(storyteller, PERSONAL_DETAILS[username])
        for user in users.values():
            if not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        return users

    def seed_personal_details(self, storyteller, details):
        """Fill in made-up personal details, once: a second run keeps what is there."""
        details = dict(details)
        email = details.pop("email")
        if email and not storyteller.user.email:
            storyteller.user.email = email
            storyteller.user.save(update_fields=["email"])
        empty = [name for name in details if not getattr(storyteller, name)]
        for name in empty:
            setattr(storyteller, name, details[name])
        if empty:
            storyteller.save(update_fields=empty)

    # Pages

    def seed_home(self):
        home = HomePage.objects.first()
        if home is None:
            root = Page.get_first_root_node()
            # Wagtail's migrations leave a "Welcome" page holding the slug we want.
            for welcome in root.get_children().exclude(content_type__model="homepage"):
                if welcome.slug == "home":
                    welcome.slug = "welcome-old"
                    welcome.save()
            home = root.add_child(
                instance=HomePage(
                    title="Sayso",
                    slug="home",
                    intro="<p>Stories of survival, published only on their tellers' say-so.</p>",
                )
            )
            home.save_revision().publish()
        # Full URLs (feed, sitemap) name the address the demo is served at: the configured
        # WAGTAILADMIN_BASE_URL (make demo PORT=8001 sets it), not an assumed port.
        hostname, port = configured_host()
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(
                hostname=hostname,
                port=port,
                root_page=home,
                is_default_site=True,
                site_name="Sayso",
            )
            return home
        if site.root_page_id != home.pk:
            old_root = site.root_page
            site.root_page = home
            site.site_name = "Sayso"
            site.hostname, site.port = hostname, port
            site.save()
            if old_root.depth == 2 and old_root.specific_class != HomePage:
                old_root.delete()
        elif (site.hostname, site.port) != (hostname, port):
            site.hostname, site.port = hostname, port
            site.save(update_fields=["hostname", "port"])
        return home

    def child(self, parent, model, slug, title, **fields):
        page = model.objects.child_of(parent).filter(slug=slug).first()
        if page is None:
            page = parent.add_child(instance=model(title=title, slug=slug, **fields))
            page.save_revision().publish()
        return page

    def seed_photo(self):
        photo = SaysoImage.objects.filter(title="Market stalls at dawn").first()
        if photo is not None:
            return photo
        picture = PILImage.new("RGB", (960, 600))
        for y in range(600):
            for x in range(0, 960, 8):
                shade = (200 - y // 4, 140 + x // 12, 90 + y // 6)
                picture.paste(shade, (x, y, x + 8, y + 1))
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=85)
        photo = SaysoImage(
            title="Market stalls at dawn", file=ImageFile(buffer, name="market-dawn.jpg")
        )
        photo._set_image_file_metadata()
        photo.save()
        return photo

    def seed_story(self, index, row, users, photo):
        slug, title, teller, state, summary, body, warnings, topics, region, with_photo = row
        story = StoryPage.objects.child_of(index).filter(slug=slug).first()
        if story is not None:
            return story
        storyteller = users[teller].storyteller
        story = StoryPage(
            title=title,
            slug=slug,
            storyteller=storyteller,
            summary=summary,
            body=body,
            byline_kind=StoryPage.Byline.PSEUDONYM,
            byline_name=storyteller.pseudonym,
            region=region,
            live=False,
        )
        if with_photo:
            story.image = photo
            story.image_alt = "Empty market stalls in the early morning light."
        story.content_warnings = [ContentWarning.objects.get_or_create(name=w)[0] for w in warnings]
        story.topics = [
            Topic.objects.get_or_create(name=t, defaults={"slug": t.lower().replace(" ", "-")})[0]
            for t in topics
        ]
        index.add_child(instance=story)
        revision = story.save_revision(user=users["editor"])
        self.agree_payment(story, users)
        if state == "draft":
            return story

        workflow = Workflow.objects.get(name=DEFAULT_WORKFLOW_NAME)
        workflow.start(story, users["editor"])
        if state == "waiting":
            return story
        if state == "changes_requested":
            services.request_changes(
                story=story,
                revision=revision,
                user=users[teller],
                message="Please leave out the name of the boat.",
            )
            return story

        scope = services.Scope(
            channels=("website", "social"),
            byline=StoryPage.Byline.PSEUDONYM,
            image_allowed=with_photo,
            valid_until=today() if state == "expired" else None,
        )
        services.approve_story(story=story, revision=revision, user=users[teller], scope=scope)
        # The editors' sign-off finishes the workflow, which publishes the approved version.
        story.refresh_from_db()
        story.current_workflow_task_state.approve(user=users["editor"])
        story.refresh_from_db()
        if state == "withdrawn":
            services.withdraw_story(story=story, user=users[teller])
        elif state == "expired":
            services.expire_due_grants(on_day=today() + timedelta(days=1))
        return story

    # Payments

    def agree_payment(self, story, users):
        """Record the story's payment agreement, or its storyteller's choice not to be paid."""
        storyteller = story.storyteller
        if story.slug in STORY_DECLINED:
            if not CompensationResponse.objects.filter(story_id=story.pk).exists():
                payments.choose_not_to_be_paid(
                    storyteller=storyteller, story=story, user=storyteller.user
                )
        elif story.slug in STORY_PAYMENTS and not story.agreements.exists():
            amount, currency, *_rest = STORY_PAYMENTS[story.slug]
            payments.record_agreement(
                storyteller=storyteller,
                story=story,
                work=Work.STORY,
                amount=Decimal(amount),
                currency=currency,
                agreed_by=users["editor"],
            )

    def seed_payments(self, stories, users):
        """Payments, answers and preferences, once: a second run finds them and adds nothing."""
        editor = users["editor"]
        for teller, (method, notes, affects_benefits) in PREFERENCES.items():
            PaymentPreference.objects.get_or_create(
                storyteller=users[teller].storyteller,
                defaults={
                    "method": method,
                    "notes": notes,
                    "may_affect_benefits": affects_benefits,
                    "tax_paperwork_on_file": not affects_benefits,
                },
            )
        for slug, (_amount, _currency, paid, answer, correction) in STORY_PAYMENTS.items():
            story = stories[slug]
            self.agree_payment(story, users)
            agreement = story.agreements.get()
            if agreement.payments.exists():
                continue
            made = [self.pay(agreement, amount, editor) for amount in paid]
            if correction:
                payments.reverse_payment(
                    payment=made[0],
                    amount=Decimal(correction),
                    reason="Part of it was sent twice.",
                    recorded_by=editor,
                )
            self.answer(made[0], answer, users[story.storyteller.user.username])
        for teller, work, description, basis, amount, currency, hours, paid, said in OTHER_WORK:
            storyteller = users[teller].storyteller
            if Agreement.objects.filter(storyteller=storyteller, description=description).exists():
                continue
            agreement = payments.record_agreement(
                storyteller=storyteller,
                work=work,
                description=description,
                basis=basis,
                amount=Decimal(amount),
                hours=Decimal(hours) if hours else None,
                currency=currency,
                agreed_by=editor,
            )
            for each in paid:
                self.pay(agreement, each, editor)
            if said == "yes":
                payments.confirm_agreement(agreement=agreement, user=users[teller])
            elif said == "no":
                payments.choose_not_to_be_paid(
                    storyteller=storyteller, agreement=agreement, user=users[teller]
                )

    def pay(self, agreement, amount, editor):
        preference = PaymentPreference.objects.filter(storyteller=agreement.storyteller).first()
        return payments.record_payment(
            agreement=agreement,
            amount=Decimal(amount),
            paid_on=today() - timedelta(days=3),
            method=preference.method if preference else PaymentMethod.BANK_TRANSFER,
            reference=f"DEMO-{Payment.objects.count() + 1:04d}",
            recorded_by=editor,
        )

    def answer(self, payment, answer, user):
        if answer == "received":
            payments.confirm_received(payment=payment, user=user)
        elif answer == "problem":
            payments.report_problem(
                payment=payment, user=user, message="Only half of it arrived in my wallet."
            )

    def seed_campaigns(self, home, campaign_index, stories, editor):
        campaigns = [
            (
                "fair-work",
                "Fair work, fair pay",
                "<p>Labour trafficking hides in ordinary jobs.</p>",
                ["the-market-at-dawn", "a-kitchen-in-the-city", "what-the-recruiter-said"],
            ),
            (
                "after",
                "After",
                "<p>What recovery looks like, told by survivors.</p>",
                ["the-market-at-dawn", "learning-to-sleep-again"],
            ),
        ]
        for slug, title, intro, story_slugs in campaigns:
            campaign = CampaignPage.objects.child_of(campaign_index).filter(slug=slug).first()
            if campaign is not None:
                continue
            campaign = CampaignPage(title=title, slug=slug, intro=intro)
            campaign.campaign_stories = [
                CampaignStory(story=stories[s], sort_order=i) for i, s in enumerate(story_slugs)
            ]
            campaign_index.add_child(instance=campaign)
            campaign.save_revision(user=editor).publish()
        if home.featured_campaign_id is None:
            home.featured_campaign = CampaignPage.objects.get(slug="fair-work")
            home.save_revision(user=editor).publish()
