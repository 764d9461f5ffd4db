"""GraphiQL is served with every file it needs, so it works offline."""

import re


async def test_graphiql_page_loads_only_files_the_server_serves(http):
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "GraphiQL" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/graphiql-assets/") for a in assets), assets
    for asset in assets:
        response = await http.get(asset)
        assert response.status_code == 200 and len(response.content) > 1000, asset
