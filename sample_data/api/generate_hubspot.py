"""Generate the HubSpot demo sample: 3 companies and 12 contacts (one archived), as the CRM v3 objects API returns them.

Contacts carry the custom properties `plan` and `customer_id`; `tier` and `country` come from
their company. Deterministic.

    python sample_data/api/generate_hubspot.py     # writes sample_data/api/hubspot/objects.json
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "hubspot" / "objects.json"
T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def main() -> None:
    companies = []
    for i, (name, domain, tier, country) in enumerate([("Gulf Traders LLC", "gulftraders.example", "gold", "UAE"),
                                                       ("Lion City Retail", "lioncity.example", "silver", "SG"),
                                                       ("Thames Home Goods", "thames.example", "bronze", "UK")]):
        modified = T0 + timedelta(days=i)
        companies.append({"id": str(9001 + i), "createdAt": iso(T0 - timedelta(days=400)), "updatedAt": iso(modified),
                          "archived": False,
                          "properties": {"name": name, "domain": domain, "tier": tier, "country": country,
                                         "hubspot_owner_id": str(7001 + i), "total_revenue": str(25000 * (i + 1)),
                                         "createdate": iso(T0 - timedelta(days=400)), "hs_lastmodifieddate": iso(modified),
                                         "hs_object_id": str(9001 + i)}})
    contacts = []
    plans = ["premium", "plus", "basic"]
    for n in range(12):
        modified = T0 + timedelta(days=n, hours=n)
        contact = {"id": str(51 + n), "createdAt": iso(T0 - timedelta(days=200 + n)), "updatedAt": iso(modified),
                   "archived": False,
                   "properties": {"email": f"buyer{n:02d}@{companies[n % 3]['properties']['domain']}",
                                  "customer_id": f"HS-{n:04d}", "plan": plans[n % 3],
                                  "createdate": iso(T0 - timedelta(days=200 + n)), "lastmodifieddate": iso(modified),
                                  "associatedcompanyid": str(9001 + n % 3), "hs_object_id": str(51 + n),
                                  "jobtitle": "Procurement"}}
        if n == 11:
            contact.update(archived=True, archivedAt=iso(modified + timedelta(days=3)))
        contacts.append(contact)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"contacts": contacts, "companies": companies}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(contacts)} contacts and {len(companies)} companies to {OUT}")


if __name__ == "__main__":
    main()
