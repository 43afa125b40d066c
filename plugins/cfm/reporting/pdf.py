"""The report as PDF, with WeasyPrint (HTML and CSS to PDF; no browser needed)."""

from __future__ import annotations


def html_to_pdf(html: str, images: dict[str, bytes]) -> bytes:
    """Render the archive HTML; its <img src="name.png"> come from `images`, and nothing else is fetched."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ChartFetcher(URLFetcher):
        def fetch(self, url: str, headers=None) -> URLFetcherResponse:
            name = url.rsplit("/", 1)[-1]
            if name not in images:
                raise ValueError(f"the report PDF loads only its own charts, not {url}")
            return URLFetcherResponse(url, images[name], {"Content-Type": "image/png"})

    return HTML(string=html, base_url="file:///report/", url_fetcher=ChartFetcher(fail_on_errors=True)).write_pdf()
