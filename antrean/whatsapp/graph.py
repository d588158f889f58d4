"""The Graph API calls we make - send a message, upload and fetch media - with Meta's
errors sorted into those worth retrying and those that will never succeed."""

import threading

import httpx
from django.conf import settings

# Meta error codes that mean "not now" whatever the HTTP status: throughput (130429),
# pair rate (131056), temporary and unknown errors, service unavailable, app rate limits.
RETRY_CODES = frozenset({1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131056, 133004})
PAIR_RATE_CODE = 131056

_local = threading.local()


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


def _client() -> httpx.Client:
    # One pooled client per thread: worker threads each keep their connections alive.
    if getattr(_local, "client", None) is None:
        _local.client = httpx.Client(limits=httpx.Limits(max_keepalive_connections=20))
    return _local.client


def _token() -> str:
    if settings.WHATSAPP_ACCESS_TOKEN:
        return settings.WHATSAPP_ACCESS_TOKEN
    if settings.WHATSAPP_SIMULATOR:
        return "simulator"
    raise GraphError("WHATSAPP_ACCESS_TOKEN is not set", retryable=False)


def _request(method: str, url: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {_token()}", **kwargs.pop("headers", {})}
    try:
        response = _client().request(
            method, url, headers=headers, timeout=settings.WHATSAPP_TIMEOUT, **kwargs
        )
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        raise GraphError(f"cannot connect ({type(error).__name__})", retryable=True) from None
    except httpx.TimeoutException:
        raise GraphError("timeout", retryable=True, ambiguous=True) from None
    except httpx.TransportError as error:
        title = f"network error ({type(error).__name__})"
        raise GraphError(title, retryable=True, ambiguous=True) from None
    if response.status_code >= 400:
        raise _error(response)
    return response


def _error(response: httpx.Response) -> GraphError:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    details = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    retry_after = None
    if response.headers.get("Retry-After", "").isdigit():
        retry_after = float(response.headers["Retry-After"])
    return GraphError(
        str(error.get("message") or response.reason_phrase or "error")[:200],
        retryable=response.status_code >= 500 or response.status_code == 429 or code in RETRY_CODES,
        status=response.status_code,
        code=code,
        detail=str(details.get("details", ""))[:500],
        retry_after=retry_after,
    )


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GraphError("unexpected response", retryable=False, status=response.status_code)
    return data


def send_message(phone_number_id: str, body: dict) -> str:
    """POST /{phone_number_id}/messages; Meta's message id (wamid)."""
    url = f"{settings.WHATSAPP_API_URL}/{phone_number_id}/messages"
    data = _json(_request("POST", url, json=body))
    try:
        return str(data["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        raise GraphError("response without a message id", retryable=False) from None


def upload_media(phone_number_id: str, content: bytes, mime_type: str, filename: str) -> str:
    """POST /{phone_number_id}/media (multipart); the media id to send it with."""
    url = f"{settings.WHATSAPP_API_URL}/{phone_number_id}/media"
    response = _request(
        "POST",
        url,
        data={"messaging_product": "whatsapp", "type": mime_type},
        files={"file": (filename, content, mime_type)},
    )
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
        with _client().stream(
            "GET", url, headers=headers, timeout=settings.WHATSAPP_TIMEOUT
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise GraphError("file too large", retryable=False)
                chunks.append(chunk)
            mime = info.get("mime_type") or response.headers.get("content-type")
    except httpx.TimeoutException:
        raise GraphError("timeout", retryable=True) from None
    except httpx.TransportError as error:
        raise GraphError(f"network error ({type(error).__name__})", retryable=True) from None
    return b"".join(chunks), str(mime or "application/octet-stream")
