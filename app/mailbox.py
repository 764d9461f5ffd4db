"""The development mailbox: the emails ``FileMailer`` wrote and the text messages ``FileTexter`` wrote,
readable in a browser.

Mounted in development only. Every message is someone's input (a customer's name, a
store's note), so everything shown is escaped, the HTML part is shown in a sandboxed
``srcdoc`` iframe, and the Content-Security-Policy lets no script, request or form run.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from integrations.mail.files import list_messages, message_path, read_message
from integrations.sms import list_texts

SUFFIX = ".eml"
#: The newest messages the list shows; older files stay on disk.
LIST_LIMIT = 200
HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                "frame-src 'self'; base-uri 'none'; form-action 'none'"),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

STYLE = """
body{margin:0;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:#18181b;background:#f4f4f5}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 16px}
a{color:#2563eb;text-decoration:none}a:hover{text-decoration:underline}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e4e4e7;border-radius:8px}
th,td{text-align:left;padding:8px 12px;border-bottom:1px solid #f4f4f5;vertical-align:top}
th{font-size:13px;color:#71717a;font-weight:600}
td.when{white-space:nowrap;color:#52525b}
td.text{white-space:pre-wrap;word-break:break-word}
.empty{background:#fff;border:1px solid #e4e4e7;border-radius:8px;padding:24px;color:#52525b}
.headers th{width:160px}.headers td{word-break:break-all}
h2{font-size:16px;margin:24px 0 8px}
iframe{width:100%;height:640px;border:1px solid #e4e4e7;border-radius:8px;background:#fff}
pre{white-space:pre-wrap;word-wrap:break-word;background:#fff;border:1px solid #e4e4e7;border-radius:8px;
padding:16px;font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
nav{margin-bottom:16px;font-size:14px}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _not_found() -> HTMLResponse:
    return _page("Not found", '<nav><a href="/dev/mailbox">&larr; Mailbox</a></nav>'
                 "<h1>No such message</h1>", status=404)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %z") if value else ""


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        return None
    return content if isinstance(content, str) else None


def _texts(sms_dir: Path) -> str:
    texts = list_texts(sms_dir, limit=LIST_LIMIT)
    if not texts:
        return (f'<div class="empty">No text messages yet. What the worker texts in development is written to '
                f"<code>{escape(str(sms_dir))}</code> and listed here.</div>")
    rows = "".join(f'<tr><td class="when">{escape(_when(t.date))}</td><td>{escape(t.recipient)}</td>'
                   f'<td class="text">{escape(t.body)}</td></tr>' for t in texts)
    return f"<table><thead><tr><th>Date</th><th>To</th><th>Message</th></tr></thead><tbody>{rows}</tbody></table>"


def mailbox_routes(mail_dir: Path | None, sms_dir: Path | None = None) -> list[Route]:
    """``GET /dev/mailbox`` (the list), ``/dev/mailbox/{name}`` (one message) and
    ``/dev/mailbox/{name}.eml`` (the raw file). ``mail_dir`` None: emails go to a real server and are not
    shown; ``sms_dir``: text messages written there are listed too."""

    def index(request: Request) -> Response:
        texts = f"<h2>Text messages</h2>{_texts(sms_dir)}" if sms_dir is not None else ""
        if mail_dir is None:
            return _page("Mailbox", f"<h1>Mailbox</h1>{texts}")
        entries = list_messages(mail_dir, limit=LIST_LIMIT)
        if not entries:
            body = (f'<div class="empty">No messages yet. What the worker sends in development is '
                    f"written to <code>{escape(str(mail_dir))}</code> and listed here.</div>")
        else:
            rows = []
            for entry in entries:
                stem = entry.filename.removesuffix(SUFFIX)
                link = request.url_for("mailbox_message", name=stem).path
                rows.append(f'<tr><td class="when">{escape(_when(entry.date))}</td>'
                            f"<td>{escape(entry.recipient)}</td>"
                            f'<td><a href="{escape(link)}">{escape(entry.subject or "(no subject)")}</a></td></tr>')
            body = ("<table><thead><tr><th>Date</th><th>To</th><th>Subject</th></tr></thead>"
                    f"<tbody>{''.join(rows)}</tbody></table>")
        heading = "<h2>Emails</h2>" if texts else ""
        return _page("Mailbox", f"<h1>Mailbox</h1>{heading}{body}{texts}")

    def message(request: Request) -> Response:
        name = request.path_params["name"]
        if mail_dir is None:
            return _not_found()
        if name.endswith(SUFFIX):
            path = message_path(mail_dir, name)
            if path is None:
                return _not_found()
            try:
                data = path.read_bytes()
            except OSError:
                return _not_found()
            return Response(data, media_type="message/rfc822",
                            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{path.name}"'})
        filename = name + SUFFIX
        found = read_message(mail_dir, filename)
        if found is None:
            return _not_found()
        back = request.url_for("mailbox").path
        raw = request.url_for("mailbox_message", name=filename).path
        header_rows = "".join(f"<tr><th>{escape(key)}</th><td>{escape(str(value))}</td></tr>"
                              for key, value in found.items())
        html_part, text_part = _part(found, "html"), _part(found, "plain")
        sections = []
        if html_part is not None:
            # srcdoc takes the document as an attribute value: escape() also escapes quotes.
            sections.append(f'<h2>HTML</h2><iframe sandbox="" title="HTML part" '
                            f'srcdoc="{escape(html_part, quote=True)}"></iframe>')
        if text_part is not None:
            sections.append(f"<h2>Text</h2><pre>{escape(text_part)}</pre>")
        subject = str(found.get("Subject", "")) or "(no subject)"
        body = (f'<nav><a href="{escape(back)}">&larr; Mailbox</a> &middot; '
                f'<a href="{escape(raw)}">Download .eml</a></nav>'
                f"<h1>{escape(subject)}</h1>"
                f'<table class="headers">{header_rows}</table>{"".join(sections)}')
        return _page(subject, body)

    return [
        Route("/dev/mailbox", index, methods=["GET"], name="mailbox"),
        Route("/dev/mailbox/{name}", message, methods=["GET"], name="mailbox_message"),
    ]
