"""HTML to PDF with WeasyPrint, for the portfolio report.

WeasyPrint needs Debian's pango libraries (libpango-1.0-0, libpangoft2-1.0-0) and a font
(fonts-dejavu-core); it is imported when a PDF is asked for, so a machine without them
still serves every page and says clearly why the PDF cannot be made.
"""

from __future__ import annotations


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run here (its system libraries are missing)."""


def html_to_pdf(html: str) -> bytes:
    """The PDF of a complete HTML document (its styles and pictures inline)."""
    try:
        from weasyprint import HTML, URLFetcher
    except OSError as error:  # pragma: no cover - depends on the machine's libraries
        raise PdfUnavailable(
            "PDF export needs the pango libraries (Debian: libpango-1.0-0 libpangoft2-1.0-0)."
        ) from error
    # The document is self-contained: no protocol is allowed, so a stray address in the data
    # (an enabler named like a URL, say) can never make the server fetch anything.
    fetcher = URLFetcher(allowed_protocols=())
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
