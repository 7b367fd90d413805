"""The accounting platforms a sandbox connection can be made to, and each one's own rules.

Keys and names: docs/integrations/accounting/overview.md (FreeAgent `fbrh`, Oracle NetSuite
`akxx`, QuickBooks Online `qhyg`, Sage Intacct `knfz`, Xero `gbol`, Zoho Books `rwuv`, and
`mqjo`, Codat's own sandbox platform). Bill rules: docs/payables/sync/update-bill.md (reference
length, tax rate, line count per platform; updates on all six Bill Pay platforms, as
docs/payables/sync/suppliers.md has them for suppliers). Attachment limits: the `Attachment`
schema of the spec, which docs/payables/_upload-attachment.md points to. Payments that wait for
approval: the Sage Intacct integration reference. Where the docs give no figure the platform has
the general rule (a 255-character reference, tax rate optional, no line limit, any file);
RULES.md lists those choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MB = 1024 * 1024
GENERAL_REFERENCE_MAX = 255

# When a bill line needs `taxRateRef`, as update-bill.md's table words it: "Required",
# "Must be null", "Required with `taxAmount`" (a line that sends a taxAmount), "Required with a
# non-zero `taxAmount`"; "optional" where the docs say nothing.
TaxRateRule = Literal[
    "required", "refused", "with_tax_amount", "with_non_zero_tax_amount", "optional"
]


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    reference_max: int = GENERAL_REFERENCE_MAX
    tax_rate: TaxRateRule = "optional"
    max_line_items: int | None = None
    updates_bills: bool = True
    updates_suppliers: bool = True
    attachment_max_bytes: int | None = None
    attachment_extensions: frozenset[str] | None = None
    # A bill payment may need approval before reads include it (Sage Intacct's default).
    approves_payments: bool = False
    # A bill's reference is used once per supplier (Zoho Books).
    unique_reference_per_supplier: bool = False

    def attachment_problem(self, name: str | None, size: int) -> str | None:
        """Why this platform would refuse the file, or None."""
        if self.attachment_max_bytes is not None and size > self.attachment_max_bytes:
            limit = self.attachment_max_bytes // MB
            return (
                f"file: {self.name} accepts attachments of up to {limit} MB; this is {size} bytes."
            )
        if self.attachment_extensions is not None:
            _, dot, extension = (name or "").rpartition(".")
            extension = extension.upper() if dot else ""
            if extension not in self.attachment_extensions:
                allowed = ", ".join(sorted(self.attachment_extensions))
                if not extension:
                    return f"file: {self.name} needs a file name with an extension ({allowed})."
                return (
                    f"file: {self.name} does not accept .{extension.lower()} files; "
                    f"it accepts {allowed}."
                )
        return None


def _extensions(text: str) -> frozenset[str]:
    return frozenset(part.strip().upper() for part in text.split(","))


PLATFORMS: dict[str, Platform] = {
    platform.key: platform
    for platform in (
        Platform("mqjo", "Codat Sandbox"),
        Platform(
            "gbol",
            "Xero",
            tax_rate="required",
            attachment_max_bytes=4 * MB,
            attachment_extensions=_extensions(
                "7Z, BMP, CSV, DOC, DOCX, EML, GIF, JPEG, JPG, KEYNOTE, MSG, NUMBERS, ODF, ODS, "
                "ODT, PAGES, PDF, PNG, PPT, PPTX, RAR, RTF, TIF, TIFF, TXT, XLS, XLSX, ZIP"
            ),
        ),
        Platform(
            "qhyg",
            "QuickBooks Online",
            reference_max=21,
            tax_rate="required",
            attachment_max_bytes=100 * MB,
            attachment_extensions=_extensions(
                "AI, CSV, DOC, DOCX, EPS, GIF, JPEG, JPG, ODS, PAGES, PDF, PNG, RTF, TIF, TXT, "
                "XLS, XLSX, XML"
            ),
        ),
        Platform("fbrh", "FreeAgent", tax_rate="refused", max_line_items=40),
        Platform(
            "akxx",
            "Oracle NetSuite",
            reference_max=45,
            tax_rate="with_tax_amount",
            attachment_max_bytes=100 * MB,
            attachment_extensions=_extensions(
                "BMP, CSV, XLS, XLSX, JSON, PDF, PJPG, PJPEG, PNG, TXT, SVG, TIF, TIFF, DOC, "
                "DOCX, ZIP"
            ),
        ),
        Platform(
            "knfz",
            "Sage Intacct",
            reference_max=100,
            tax_rate="with_tax_amount",
            approves_payments=True,
        ),
        Platform(
            "rwuv",
            "Zoho Books",
            reference_max=50,
            tax_rate="with_non_zero_tax_amount",
            unique_reference_per_supplier=True,
        ),
    )
}

DEMO_PLATFORM = "mqjo"

# Integrations of other kinds a company may also have connected (the spec's own example of a
# connection is Basiq, `dfxm`, a Banking one). Their connections are listed with their
# `sourceType`, but this API neither creates them nor reads payables data through them.
OTHER_SOURCES: dict[str, tuple[str, str]] = {"dfxm": ("Basiq", "Banking")}
DEMO_BANKING = "dfxm"


def source_type(key: str) -> str:
    """The connection's `sourceType`: Accounting for the platforms above, else its own."""
    other = OTHER_SOURCES.get(key)
    return other[1] if other is not None else "Accounting"


def platform(key: str) -> Platform:
    """The platform of an existing connection (unknown keys of old data get the general rules)."""
    return PLATFORMS.get(key) or Platform(key, f"Integration {key}")
