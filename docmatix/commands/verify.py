"""`docmatix verify OUTPUT`: files match the manifest; every input document written or rejected once."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check an output against its manifest and inputs")
    p.add_argument("output")
    p.add_argument("--no-inputs", dest="check_inputs", action="store_false",
                   help="skip re-reading the inputs (check files and hashes only)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from docmatix.output.verify import verify_output

    report = verify_output(args.output, args.check_inputs)
    for problem in report.problems:
        print(f"FAIL {problem}")
    status = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    print(f"{status}: {report.files_checked} files checked; documents accounted for "
          f"{report.documents_found}/{report.documents_expected}")
    return 0 if report.ok else 1
