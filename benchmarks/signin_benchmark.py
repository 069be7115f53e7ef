"""Whether the answer time of a refused sign-in says if the account exists.

Run: python benchmarks/signin_benchmark.py [--tries 40]

Signs in, alternately, with an e-mail that has no account and with a wrong password for one
that does (on a fresh SQLite database, bcrypt at the configured cost), and prints the median
and spread of each. Target: the medians within 10% of each other, so timing does not tell
which accounts exist. The wrong password's account is unlocked between tries so the lock
does not end the run early.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import update  # noqa: E402

from review import accounts  # noqa: E402
from review.db import Database, User  # noqa: E402
from review.errors import PermissionDenied  # noqa: E402
from review.settings import Settings  # noqa: E402

TOLERANCE = 0.10


def _refused_after(db: Database, settings: Settings, email: str) -> float:
    started = time.perf_counter()
    try:
        accounts.sign_in(db, settings, email, "not the password")
    except PermissionDenied:
        return time.perf_counter() - started
    raise SystemExit(f"{email} signed in with a wrong password")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=40, help="sign-ins of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/signin.db"
        settings = Settings.from_env({}, database_url=url)
        db = Database(url)
        with db.session() as s:
            accounts.create_first_coordinator(
                s, settings, email="known@core.example", name="Known", password="the right password"
            )
        times: dict[str, list[float]] = {"unknown e-mail": [], "wrong password": []}
        for _ in range(args.tries):
            times["unknown e-mail"].append(_refused_after(db, settings, "nobody@core.example"))
            times["wrong password"].append(_refused_after(db, settings, "known@core.example"))
            with db.session() as s:  # keep the lock from ending the run
                s.execute(update(User).values(failed_signins=0, locked_until=None))
        db.dispose()
    print(f"refused sign-ins, {args.tries} of each, bcrypt cost {settings.bcrypt_rounds}")
    medians = {}
    for kind, seconds in times.items():
        medians[kind] = statistics.median(seconds)
        low, high = min(seconds), max(seconds)
        print(
            f"  {kind:15} median {medians[kind] * 1000:7.1f} ms"
            f"   min {low * 1000:7.1f} ms   max {high * 1000:7.1f} ms"
        )
    gap = abs(medians["unknown e-mail"] - medians["wrong password"]) / medians["wrong password"]
    verdict = "met" if gap <= TOLERANCE else "MISSED"
    print(f"  medians differ by {gap:.1%} (target within {TOLERANCE:.0%}) -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
