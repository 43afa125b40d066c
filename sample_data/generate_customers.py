"""Generate the bundled customer file-drop sample: one row per customer named in sample_data/drop/.

Deterministic (fixed seed). Feedback names a customer by email when it has one, else by
customer id, so each customer row carries the identity the feedback uses. Plan, region,
tier, signup date, lifetime value and account owner are drawn at random; `segment` is an
extra column (kept in `attributes`). A few rows are deliberately invalid (no identity, a
bad date, a non-numeric lifetime value) to show quarantine.

    python sample_data/generate_customers.py       # writes sample_data/customers/customers_2026.csv
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DROP = HERE / "drop"
OUT = HERE / "customers"
COLUMNS = ["customer_id", "email", "plan", "region", "tier", "signup_date", "lifetime_value", "account_owner", "segment"]


def feedback_identities() -> list[tuple[str, str]]:
    """(kind, value) of every customer the feedback sample names, in a stable order."""
    seen: dict[tuple[str, str], None] = {}
    for path in sorted(DROP.iterdir()):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
        else:
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for row in rows:
            email, cid = (row.get("customer_email") or "").strip(), (row.get("customer_id") or "").strip()
            if email:
                seen[("email", email.lower())] = None
            elif cid:
                seen[("id", cid)] = None
    return list(seen)


def main() -> None:
    rng = random.Random(20261101)
    rows = []
    for kind, value in feedback_identities():
        plan = rng.choices(["basic", "plus", "premium"], weights=[5, 3, 2])[0]
        rows.append({
            "customer_id": value if kind == "id" else "",
            "email": value if kind == "email" else "",
            "plan": plan,
            "region": rng.choice(["UK", "UAE", "KSA", "CN", "SG"]),
            "tier": {"basic": "bronze", "plus": "silver", "premium": "gold"}[plan],
            "signup_date": (date(2023, 1, 1) + timedelta(days=rng.randrange(1200))).isoformat(),
            "lifetime_value": f"{rng.uniform(20, 5000):.2f}",
            "account_owner": rng.choice(["team-emea", "team-gcc", "team-apac"]),
            "segment": rng.choice(["consumer", "smb", "enterprise"]),
        })
    rows += [
        {"customer_id": "", "email": "", "plan": "basic", "region": "UK"},
        {"customer_id": "C99998", "signup_date": "last spring", "plan": "plus"},
        {"customer_id": "C99999", "lifetime_value": "a lot", "plan": "premium"},
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "customers_2026.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} customers to {path}")


if __name__ == "__main__":
    main()
