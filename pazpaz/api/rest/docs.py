"""GET /api/v1/docs: the OpenAPI document as a plain HTML page, rendered on the server.

Swagger UI and ReDoc load their scripts from a public CDN, which the app's CSP (script-src
'self' plus hashes of our own build) refuses, and which would tell a third party who reads
the docs. This page needs no script at all.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
         "code,pre{background:#f4f4f5;padding:.1rem .3rem;border-radius:4px}pre{padding:.6rem;overflow:auto}"
         ".op{border-top:1px solid #ddd;padding:.6rem 0}.m{font-weight:700;display:inline-block;min-width:4rem}"
         "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:start}")


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_schema_name(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    return str(schema.get("type", "any")) + (f" ({schema['format']})" if "format" in schema else "")


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{'yes' if p.get('required') else ''}</td><td>{escape(_schema_name(p.get('schema', {})))}</td></tr>"
        for p in op.get("parameters", []))
    head = "<tr><th>parameter</th><th>in</th><th>required</th><th>type</th></tr>"
    params = f"<table>{head}{rows}</table>" if rows else ""
    body = ""
    for media, content in op.get("requestBody", {}).get("content", {}).items():
        body += f"<p>Body ({escape(media)}): <code>{escape(_schema_name(content.get('schema', {})))}</code></p>"
    responses = ", ".join(f"{escape(code)} {escape(r.get('description', ''))}"
                          for code, r in op.get("responses", {}).items())
    return (f"<div class=op><p><span class=m>{method.upper()}</span> <code>{escape(path)}</code> "
            f"— {escape(op.get('summary', ''))}</p>{params}{body}<p>Responses: {responses}</p></div>")


def render(app: FastAPI, prefix: str) -> str:
    document = app.openapi()
    parts = [f"<h1>{escape(document['info']['title'])} {escape(document['info']['version'])}</h1>",
             f"<p>{escape(document['info'].get('description', ''))}</p>",
             f"<p>Machine-readable: <a href='{prefix}/openapi.json'>{prefix}/openapi.json</a> (OpenAPI "
             f"{escape(document['openapi'])}). Every error is <code>application/problem+json</code>.</p>"]
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            parts.append(_operation(prefix + path, method, op))
    parts.append("<h2>Schemas</h2>")
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        parts.append(f"<h3 id='{escape(name)}'>{escape(name)}</h3><pre>{escape(json.dumps(schema, indent=1))}</pre>")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>PazPaz API</title>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{STYLE}</style></head>"
            f"<body>{''.join(parts)}</body></html>")


def docs_response(app: FastAPI, prefix: str) -> HTMLResponse:
    return HTMLResponse(render(app, prefix), headers={"Cache-Control": "no-store"})
