"""Her decisions and their receipts."""

import json

from django.http import HttpResponse
from django.shortcuts import render

from consent.models import ConsentEntry
from consent.receipts import kantara_receipt

from ..access import own_entry, portal_view


@portal_view
def history(request):
    entries = (
        ConsentEntry.objects.filter(storyteller=request.storyteller)
        .select_related("story")
        .order_by("-sequence")
    )
    return render(request, "portal/history.html", {"entries": entries})


@portal_view
def receipt(request, receipt_id):
    entry = own_entry(request, receipt_id)
    return render(request, "portal/receipt.html", {"entry": entry})


@portal_view
def receipt_json(request, receipt_id):
    entry = own_entry(request, receipt_id)
    response = HttpResponse(
        json.dumps(kantara_receipt(entry), indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="sayso-receipt-{entry.receipt_id}.json"'
    )
    return response
