"""Bad input gets a clear answer, never a 500: the cases once measured, each through its door."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from compensation.models import Agreement, Work
from consent.selectors import today

from tests.conftest import PASSWORD

NUL = "\x00"


def refused_plainly(response):
    """400, in plain words, with nothing about stories or storytellers in it."""
    body = response.content.decode()
    return (
        response.status_code == 400
        and response["Content-Type"].startswith("text/plain")
        and "story" not in body.lower()
        and "try again" in body
    )


@pytest.mark.parametrize(
    "path, params",
    [
        ("/search/", {"q": f"market{NUL}"}),
        ("/stories/", {"topic": f"work{NUL}"}),
        ("/api/v3/pages/", {"search": f"market{NUL}"}),
        ("/search/", {f"q{NUL}": "market"}),
    ],
)
def test_a_nul_in_a_query_parameter_gets_a_plain_400(client, published_story, path, params):
    response = client.get(path, params)

    assert refused_plainly(response)


def test_a_nul_in_a_page_address_or_a_cookie_gets_a_plain_400(client, published_story):
    assert refused_plainly(client.get("/stories/pub%00lished/"))
    client.cookies["sessionid"] = f"abcdefgh{NUL}"
    assert refused_plainly(client.get("/my/"))


def test_a_nul_in_a_form_field_gets_a_plain_400_and_changes_nothing(client, amara):
    client.force_login(amara.user)

    response = client.post(
        reverse("portal:contact"),
        {"contact_preference": "email", "email": f"amara{NUL}@example.org"},
    )

    assert refused_plainly(response)
    amara.user.refresh_from_db()
    assert amara.user.email == ""


def test_a_nul_or_half_a_surrogate_in_a_json_body_gets_a_plain_400(client, editor):
    client.force_login(editor)
    for text in ('"a\\u0000b"', '"a\\ud800b"'):
        response = client.post(
            "/api/v3/pages/", data='{"title": ' + text + "}", content_type="application/json"
        )
        assert refused_plainly(response)


def test_ordinary_input_still_passes(client, published_story):
    assert client.get("/search/", {"q": "market"}).status_code == 200
    assert client.get("/stories/", {"topic": "work"}).status_code == 200


def test_a_very_long_user_name_at_the_portal_sign_in_is_an_ordinary_failed_sign_in(client, amara):
    response = client.post(reverse("portal:login"), {"username": "a" * 300, "password": "x"})

    assert response.status_code == 200
    assert response.context["form"].errors


def test_a_300_character_email_is_refused_with_a_message_and_not_stored(client, amara):
    client.force_login(amara.user)

    response = client.post(
        reverse("portal:contact"),
        {"contact_preference": "email", "email": "a" * 288 + "@example.org"},
    )

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    amara.user.refresh_from_db()
    assert amara.user.email == ""
    # The longest address the column holds is still accepted.
    longest = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".org"
    assert len(longest) == 254
    saved = client.post(
        reverse("portal:contact"), {"contact_preference": "email", "email": longest}
    )
    assert saved.status_code == 302
    amara.user.refresh_from_db()
    assert amara.user.email == longest


def agreement_form(storyteller, editor, **fields):
    values = {
        "storyteller": storyteller.pk,
        "work": Work.SPEAKING,
        "story": "",
        "description": "A very long panel",
        "basis": "hourly",
        "amount": "99999999999.00",
        "currency": "GBP",
        "hours": "99999.99",
        "agreed_on": today().isoformat(),
        "agreed_by": editor.pk,
    }
    values.update(fields)
    return values


def test_an_hourly_agreement_whose_total_overflows_is_refused_and_every_payments_page_opens(
    client, editor, amara
):
    client.force_login(editor)

    response = client.post(reverse("compensation_agreements:add"), agreement_form(amara, editor))

    assert response.status_code == 200
    assert "hours" in response.context["form"].errors
    assert not Agreement.objects.exists()
    for name in (
        "compensation_agreements:index",
        "compensation_payments:index",
        "workspace_compensation",
    ):
        assert client.get(reverse(name)).status_code == 200


def test_the_largest_total_the_column_holds_is_accepted(client, editor, amara):
    client.force_login(editor)
    form = agreement_form(amara, editor, amount="99999999999.99", basis="flat", hours="")

    response = client.post(reverse("compensation_agreements:add"), form)

    assert response.status_code == 302
    assert Agreement.objects.get().total == Decimal("99999999999.99")
    assert client.get(reverse("compensation_agreements:index")).status_code == 200


def test_an_overflowing_total_is_refused_by_the_model_itself(editor, amara):
    from django.core.exceptions import ValidationError

    agreement = Agreement(
        storyteller=amara,
        work=Work.SPEAKING,
        basis=Agreement.Basis.HOURLY,
        amount=Decimal("90000000000"),
        hours=Decimal("2"),
        currency="GBP",
        agreed_by=editor,
    )

    with pytest.raises(ValidationError) as refused:
        agreement.full_clean()
    assert "hours" in refused.value.message_dict


def test_a_long_user_name_in_the_admin_sign_in_is_refused_plainly(client, db):
    get_user_model().objects.create_user("someone", password=PASSWORD)

    response = client.post(reverse("wagtailadmin_login"), {"username": "b" * 300, "password": "x"})

    assert response.status_code == 200


@pytest.mark.parametrize("query", ['say "hello', '"', '"market" OR "x', "%;--'\\"])
def test_a_search_with_quotes_or_symbols_answers_and_still_finds(client, published_story, query):
    assert client.get("/search/", {"q": query}).status_code == 200
    assert client.get("/api/v3/pages/", {"search": query}).status_code == 200


def test_a_search_with_a_quote_still_finds_the_story(client, published_story):
    response = client.get("/search/", {"q": f'"{published_story.title}'})

    assert response.status_code == 200
    assert f'href="{published_story.url}"' in response.content.decode()


HUGE = "9" * 25


@pytest.mark.parametrize(
    "path",
    [
        f"/my/stories/{HUGE}/",
        f"/my/payments/stories/{HUGE}/choice/",
        f"/admin/stories/{HUGE}/in-person/",
        f"/admin/compensation/stories/{HUGE}/declined-payment/",
    ],
)
def test_a_number_too_big_for_any_row_in_an_address_is_not_found(client, amara, superuser, path):
    client.force_login(superuser if path.startswith("/admin/") else amara.user)

    assert client.get(path).status_code == 404


def test_a_number_too_big_for_any_column_in_a_filter_or_form_gets_a_plain_400(
    client, superuser, amara
):
    client.force_login(superuser)

    assert refused_plainly(
        client.get(reverse("workspace_consent_ledger_results"), {"storyteller": HUGE})
    )
    assert refused_plainly(client.get(reverse("compensation_agreements:add"), {"story": HUGE}))
    assert refused_plainly(
        client.post(reverse("compensation_agreements:add"), {"story": f"-{HUGE}"})
    )
    # The largest number a column holds is an ordinary value, and simply matches nothing.
    largest = str(2**63 - 1)
    response = client.get(reverse("workspace_consent_ledger_results"), {"storyteller": largest})
    assert response.status_code == 200


def test_a_word_where_a_story_number_is_expected_opens_an_empty_agreement_form(client, superuser):
    client.force_login(superuser)

    response = client.get(reverse("compensation_agreements:add"), {"story": "abc"})

    assert response.status_code == 200
    assert response.context["form"].initial.get("story") is None


@pytest.mark.parametrize("next_url", ["abc", "accounts_two_factor", "1e999"])
def test_a_bare_word_as_where_to_go_next_after_the_second_step_is_ignored(client, editor, next_url):
    client.force_login(editor)

    response = client.get(reverse("accounts_two_factor_verify"), {"next": next_url})

    # No authenticator to ask for: straight on, to the admin's home rather than a bare word.
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
