"""The Graph API calls we make - send a message, upload and fetch media - with Meta's
errors sorted into those worth retrying and those that will never succeed."""

import json
import secrets

from django.conf import settings

from antrean.lib import http

# Meta error codes that mean "not now" whatever the HTTP status: throughput (130429),
# pair rate (131056), temporary and unknown errors, service unavailable, app rate limits.
RETRY_CODES = frozenset({1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131056, 133004})
PAIR_RATE_CODE = 131056
JSON = "application/json"
MULTIPART = "multipart/form-data"


class GraphError(Exception):
    def __init__(
        self,
        title: str,
        *,
        retryable: bool,
        status: int | None = None,
        code: int | None = None,
        detail: str = "",
        retry_after: float | None = None,
        ambiguous: bool = False,
    ):
        super().__init__(f"{status or '-'} {code or '-'} {title}")
        self.title, self.retryable, self.status, self.code = title, retryable, status, code
        self.detail, self.retry_after = detail, retry_after
        # The request may have reached Meta before the failure: it may have been sent.
        self.ambiguous = ambiguous


def _token() -> str:
    if settings.WHATSAPP_ACCESS_TOKEN:
        return settings.WHATSAPP_ACCESS_TOKEN
    if settings.WHATSAPP_SIMULATOR:
        return "simulator"
    raise GraphError("WHATSAPP_ACCESS_TOKEN is not set", retryable=False)


def _request(
    method: str, url: str, *, body: bytes | None = None, content_type: str = ""
) -> http.Response:
    headers = {"Authorization": f"Bearer {_token()}"}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        response = http.request(
            method, url, headers=headers, body=body, timeout=settings.WHATSAPP_TIMEOUT
        )
    except http.ConnectError as error:
        raise GraphError(f"cannot connect ({error})", retryable=True) from None
    except http.Timeout:
        raise GraphError("timeout", retryable=True, ambiguous=True) from None
    except http.TransportError as error:
        raise GraphError(f"network error ({error})", retryable=True, ambiguous=True) from None
    if response.status >= 400:
        raise _error(response)
    return response


def _error(response: http.Response | http.Stream) -> GraphError:
    try:
        data = response.json()
    except (ValueError, http.HTTPError):  # not JSON, or the body broke off
        data = None
    error = (data.get("error") if isinstance(data, dict) else None) or {}
    if not isinstance(error, dict):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    details = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    retry_after = None
    if response.headers.get("Retry-After", "").isdigit():
        retry_after = float(response.headers["Retry-After"])
    return GraphError(
        str(error.get("message") or response.reason or "error")[:200],
        retryable=response.status >= 500 or response.status == 429 or code in RETRY_CODES,
        status=response.status,
        code=code,
        detail=str(details.get("details", ""))[:500],
        retry_after=retry_after,
    )


def _json(response: http.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GraphError("unexpected response", retryable=False, status=response.status)
    return data


def send_message(phone_number_id: str, body: dict) -> str:
    """POST /{phone_number_id}/messages; Meta's message id (wamid)."""
    url = f"{settings.WHATSAPP_API_URL}/{phone_number_id}/messages"
    data = _json(_request("POST", url, body=json.dumps(body).encode(), content_type=JSON))
    try:
        return str(data["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        raise GraphError("response without a message id", retryable=False) from None


def upload_media(phone_number_id: str, content: bytes, mime_type: str, filename: str) -> str:
    """POST /{phone_number_id}/media (multipart); the media id to send it with."""
    url = f"{settings.WHATSAPP_API_URL}/{phone_number_id}/media"
    fields = {"messaging_product": "whatsapp", "type": mime_type}
    boundary = secrets.token_hex(16)
    body = _multipart(boundary, fields, ("file", filename, content, mime_type))
    response = _request("POST", url, body=body, content_type=f"{MULTIPART}; boundary={boundary}")
    media_id = _json(response).get("id")
    if not media_id:
        raise GraphError("upload response without an id", retryable=False)
    return str(media_id)


def fetch_media(media_id: str, max_bytes: int) -> tuple[bytes, str]:
    """GET /{media_id} for its short-lived URL, then the file itself: (content, mime).

    The download stops at `max_bytes`: a person cannot fill our disk with one message.
    """
    info = _json(_request("GET", f"{settings.WHATSAPP_API_URL}/{media_id}"))
    url = info.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise GraphError("media without a download URL", retryable=False)
    declared = info.get("file_size")
    if isinstance(declared, int) and declared > max_bytes:
        raise GraphError("file too large", retryable=False)
    headers = {"Authorization": f"Bearer {_token()}"}
    try:
        with http.stream("GET", url, headers=headers, timeout=settings.WHATSAPP_TIMEOUT) as answer:
            if answer.status >= 400:
                raise _error(answer)
            chunks, size = [], 0
            for chunk in answer.chunks():
                size += len(chunk)
                if size > max_bytes:
                    raise GraphError("file too large", retryable=False)
                chunks.append(chunk)
            mime = info.get("mime_type") or answer.headers.get("content-type")
    except http.Timeout:
        raise GraphError("timeout", retryable=True) from None
    except http.HTTPError as error:
        raise GraphError(f"network error ({error})", retryable=True) from None
    return b"".join(chunks), str(mime or "application/octet-stream")


def _multipart(boundary: str, fields: dict[str, str], file: tuple[str, str, bytes, str]) -> bytes:
    """A multipart/form-data body: the fields, then the file."""
    name, filename, content, mime_type = file
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    safe = filename.replace('"', "").replace("\r", "").replace("\n", "")
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{safe}"\r\n'
        f"Content-Type: {mime_type}\r\n\r\n".encode()
    )
    return b"".join([*parts, content, f"\r\n--{boundary}--\r\n".encode()])
