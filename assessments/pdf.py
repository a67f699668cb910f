"""HTML to PDF with WeasyPrint, for the portfolio report.

WeasyPrint needs Debian's pango libraries (libpango-1.0-0, libpangoft2-1.0-0) and a font
(fonts-dejavu-core); it is imported when a PDF is asked for, so a machine without them
still serves every page and says clearly why the PDF cannot be made.
"""

from __future__ import annotations


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run here (its system libraries are missing)."""


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of a complete HTML document (its styles inline; nothing fetched)."""
    try:
        from weasyprint import HTML
    except OSError as error:  # pragma: no cover - depends on the machine's libraries
        raise PdfUnavailable(
            "PDF export needs the pango libraries (Debian: libpango-1.0-0 libpangoft2-1.0-0)."
        ) from error
    pdf: bytes = HTML(string=html, base_url=base_url, url_fetcher=_no_fetch).write_pdf()
    return pdf


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    # The report's HTML is self-contained; refusing every fetch keeps a stray URL in data
    # (an enabler named like an address, say) from making the server fetch anything.
    raise ValueError(f"Not fetched: {url}")
