"""Browser security headers, the Content-Security-Policy's promise (no inline code in any
template), HTTPS behind the TLS proxy, and `antrean check --deploy` with the example
environment (docs/security.md).

The last tests open the key pages in headless Chromium under the real policy and fail on
any refusal the browser reports: the public booking (with htmx) up to the proof, the back
office (office switch, check-in, queue ticket, counter, the board), the Django admin and
the WhatsApp simulator.
"""

import base64
import datetime
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest

from antrean.web.security import API_POLICY, PAGE_POLICY, PERMISSIONS_POLICY

from conftest import WIB

PACKAGE = Path(__file__).resolve().parents[2]
ROOT = PACKAGE.parent
TEMPLATES = sorted(PACKAGE.glob("*/templates/**/*.html"))
SCRIPTS = sorted(p for p in PACKAGE.glob("*/static/**/*.js") if not p.name.endswith(".min.js"))


# --- The headers ---------------------------------------------------------------------------
def assert_common(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    # No browser or proxy keeps a copy of a dynamic answer, however it was reached.
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def assert_page(response) -> None:
    assert response["Content-Type"].startswith("text/html")
    assert_common(response)
    assert response["Content-Security-Policy"] == PAGE_POLICY
    assert response["X-Frame-Options"] == "DENY"


def test_the_page_policy_allows_no_inline_code_and_no_other_site():
    directives = dict(d.split(" ", 1) for d in PAGE_POLICY.split("; "))
    assert "unsafe" not in PAGE_POLICY
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    # Everything off but the check-in camera and the board's chime (autoplay's default).
    allowed = [f for f in PERMISSIONS_POLICY.split(", ") if not f.endswith("=()")]
    assert allowed == ["autoplay=(self)", "camera=(self)"]


@pytest.mark.django_db
def test_public_pages(client):
    for path in ["/", "/pesan/", "/kelola/", "/undian/"]:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert_page(response)


@pytest.mark.django_db
def test_back_office_pages(client, make_office, django_user_model):
    from antrean.backoffice.models import Staff
    from antrean.backoffice.roles import Role

    assert_page(client.get("/kantor/masuk"))
    user = django_user_model.objects.create_user(username="petugas-csp")
    Staff.objects.create(user=user, role=Role.OFFICER, office=make_office())
    client.force_login(user)
    for path in ["/kantor/hari-ini", "/kantor/check-in", "/kantor/loket"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page(response)


@pytest.mark.django_db
def test_a_view_that_chose_its_caching_keeps_it_and_static_files_are_cached(client, settings):
    from django.contrib.staticfiles import finders
    from django.http import HttpResponse
    from django.test import RequestFactory

    from antrean.web.security import SecurityHeadersMiddleware

    def cached(request):
        response = HttpResponse("public")
        response["Cache-Control"] = "public, max-age=60"
        return response

    response = SecurityHeadersMiddleware(cached)(RequestFactory().get("/"))
    assert response["Cache-Control"] == "public, max-age=60"
    assert finders.find("web/print.js")
    static = client.get(settings.STATIC_URL + "web/print.js")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


@pytest.mark.django_db
def test_admin_login(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_page(response)


@pytest.mark.django_db
def test_webhook_json_and_handshake(client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"
    refused = client.post("/webhooks/whatsapp", b"{}", content_type="application/json")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/json"
    assert_common(refused)
    assert refused["Content-Security-Policy"] == API_POLICY
    handshake = client.get(
        "/webhooks/whatsapp",
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"},
    )
    assert handshake.content == b"42"
    assert_common(handshake)
    assert "Content-Security-Policy" not in handshake  # plain text: nothing to run


@pytest.mark.django_db
def test_healthz_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert_common(response)
    assert response["Content-Security-Policy"] == API_POLICY


@pytest.mark.django_db
def test_django_debug_pages_keep_their_inline_code(client, settings):
    assert_page(client.get("/no-such-page"))  # the plain 404 page is held to the policy
    settings.DEBUG = True
    debug = client.get("/no-such-page")
    assert debug.status_code == 404
    assert "Content-Security-Policy" not in debug


# --- HTTPS behind nginx --------------------------------------------------------------------
@pytest.mark.django_db
def test_behind_the_tls_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    plain = client.get("/pesan/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/pesan/"
    secure = client.get("/pesan/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    # A load balancer probing a web process directly, over plain HTTP, still gets its answer.
    assert client.get("/healthz").status_code == 200


# --- `antrean check --deploy` --------------------------------------------------------------
def example_environment(data_dir: Path) -> dict:
    """deploy/antrean.env.example as an operator fills it in: every CHANGE-ME replaced."""
    values = {}
    for line in (ROOT / "deploy" / "antrean.env.example").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, value = line.split("=", 1)
        values[name.strip()] = value.strip().strip("'")
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    values["FIELD_ENCRYPTION_KEYS"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    for name, value in values.items():
        if "CHANGE-ME" in value:
            values[name] = value.replace("CHANGE-ME", secrets.token_urlsafe(24))
    values["ANTREAN_DATA_DIR"] = str(data_dir)
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(data_dir)), **values}


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    from antrean.ops.tests.processes import ANTREAN

    return subprocess.run(
        [ANTREAN, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_example_environment_passes_check_deploy(tmp_path):
    env = example_environment(tmp_path)
    assert "DEBUG" not in env  # off unless set
    done = check_deploy(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout

    # Without the proxy's HTTPS lines, Django warns about what nginx does for it.
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        env.pop(name)
    done = check_deploy(env)
    assert done.returncode != 0
    assert "security.W004" in done.stderr and "security.W008" in done.stderr


# --- No inline code, anywhere ----------------------------------------------------------------
# What a strict policy (no 'unsafe-inline', no 'unsafe-eval') refuses, as it appears in a
# template. Found anywhere in the file, not only inside tags: prose never looks like this.
INLINE = {
    "<script> without src": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"(?<![\w-])style\s*=", re.I),
    "on...= handler": re.compile(r"(?<![\w-])on[a-z]+\s*=", re.I),
    "hx-on": re.compile(r"(?<![\w-])(data-)?hx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    # htmx evaluates these with eval(): refused without 'unsafe-eval'.
    "hx-vars": re.compile(r"(?<![\w-])(data-)?hx-vars\s*=", re.I),
    "hx-vals with js:": re.compile(r"(?<![\w-])(data-)?hx-vals\s*=\s*['\"]\s*js:", re.I),
    "hx-trigger filter": re.compile(r"(?<![\w-])(data-)?hx-trigger\s*=\s*['\"][^'\"]*\[", re.I),
}


def inline_code(text: str) -> list[str]:
    return [name for name, pattern in INLINE.items() if pattern.search(text)]


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        "<style>p{}</style>",
        '<div style="flex:1">',
        "<p class=x style='color:red'>",
        '<button onclick="window.print()">',
        '<select onchange="this.form.submit()">',
        '<form hx-on::after-request="x()">',
        '<a href="javascript:void(0)">',
        "<div hx-vals='js:{\"a\": 1}'>",
        '<div hx-trigger="keyup[ctrlKey]">',
    ],
)
def test_the_scan_finds_inline_code(snippet):
    assert inline_code(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'web/print.js' %}\" defer></script>",
        '<link rel="stylesheet" href="site.css">',
        '<button type="button" data-print>',
        "<select data-submit-on-change>",
        '<div hx-get="/x" hx-trigger="every 1s" hx-swap="innerHTML">',
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false}\'>',
        "<p>Pilih kantor, lalu layanan.</p>",
    ],
)
def test_the_scan_lets_static_code_through(snippet):
    assert inline_code(snippet) == []


def test_the_templates_are_found():
    names = {p.relative_to(PACKAGE).parts[0] for p in TEMPLATES}
    assert {"web", "backoffice", "simulator", "release"} <= names
    assert len(TEMPLATES) >= 40


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_template_has_inline_code(path):
    assert inline_code(path.read_text()) == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_our_scripts_need_no_eval_and_no_style_attribute(path):
    text = path.read_text()
    assert not re.search(r"\beval\(|new Function\(|setAttribute\(\s*['\"]style['\"]", text)


def _chain(path: Path) -> str:
    """The template and every template it extends."""
    text = path.read_text()
    parent = re.search(r"{%\s*extends\s+['\"]([^'\"]+)['\"]", text)
    if not parent:
        return text
    app = parent.group(1).split("/", 1)[0]
    return text + _chain(PACKAGE / app / "templates" / parent.group(1))


def test_every_page_with_htmx_turns_off_its_inline_indicator_style():
    """htmx adds a <style> element for its indicators unless told not to; the rules are in
    the site's stylesheets instead."""
    pages = [p for p in TEMPLATES if "htmx.min.js" in p.read_text()]
    assert len(pages) >= 3
    for page in pages:
        assert '{"includeIndicatorStyles":false}' in _chain(page), page
    for css in ["web/static/web/site.css", "backoffice/static/backoffice/office.css"]:
        assert ".htmx-request .htmx-indicator" in (PACKAGE / css).read_text()


# --- In Chromium, under the real policy ------------------------------------------------------
SUNDAY = datetime.datetime(2027, 8, 8, 10, 0, tzinfo=WIB)
MONDAY_EARLY = datetime.datetime(2027, 8, 9, 7, 10, tzinfo=WIB)
SECRET = "csp-app-secret"
# Runs before any page script: every refusal goes to the console (where the test reads it,
# beside the browser's own "Refused to ..." lines), and printing is only counted.
WATCH = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});
window.print = () => { window.printed = (window.printed || 0) + 1; };
"""
REFUSALS = ("Refused to", "Content Security Policy", "CSP violation", "Permissions-Policy")


@pytest.fixture
def site(live_server, settings, time_machine):
    from antrean.backoffice.demo import seed_demo_staff
    from antrean.offices.demo import seed_demo_offices

    time_machine.move_to(SUNDAY, tick=True)
    settings.WHATSAPP_SIMULATOR = True
    settings.WHATSAPP_ACCESS_TOKEN = ""
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_API_URL = f"{live_server.url}/simulator/graph/v23.0"
    settings.WHATSAPP_PAIR_BURST = 100
    seed_demo_offices()
    seed_demo_staff()
    return live_server.url


@pytest.fixture
def watched(site, chromium):
    """A browser context whose console is kept: (context, messages)."""
    context = chromium.new_context(base_url=site, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH)
    messages = []
    context.on("console", lambda message: messages.append(message.text))
    context.on("weberror", lambda error: messages.append(f"page error: {error.error}"))
    yield context, messages
    context.close()


def refusals(messages: list[str]) -> list[str]:
    return [m for m in messages if any(word in m for word in REFUSALS) or "page error" in m]


def no_inline_style_element(page) -> None:
    assert page.evaluate("document.querySelectorAll('style').length") == 0, page.url


def the_policy_is_enforced(page, messages: list[str]) -> None:
    """The control: an inline style is refused, and the test hears of it."""
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<b style=\"color:red\">x</b>')")
    # Both reports, the browser's and the page's event, arrive a moment later.
    for _ in range(100):
        heard = refusals(messages)
        if any("Content Security Policy" in m for m in heard) and any(
            m.startswith("CSP violation: style-src") for m in heard
        ):
            break
        page.wait_for_timeout(20)
    else:
        raise AssertionError(f"the injected inline style was not reported: {messages}")
    messages.clear()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_public_booking_runs_under_the_policy(watched):
    from antrean.web.tests import test_browser as flow

    from conftest import new_phone, nik_for

    context, messages = watched
    page = context.new_page()
    page.goto("/")
    the_policy_is_enforced(page, messages)
    page.goto("/pesan/")
    page.fill("#office-search", "jakarta pusat")  # web/filter.js
    assert page.locator("label[data-item]:visible").count() == 1
    flow.start_booking(page, new_phone())
    name, birth = flow.BUDI
    flow.fill_person(page, 1, name, nik_for(birth), birth)
    flow.choose_day_and_hour(page, flow.TUESDAY, "10:00")  # htmx swaps the hours in
    no_inline_style_element(page)
    flow.submit(page)
    flow.proof_code(page)
    page.get_by_role("button", name="Cetak").click()  # web/print.js
    assert page.evaluate("window.printed") == 1
    page.goto("/undian/")
    assert refusals(messages) == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_back_office_and_the_board_run_under_the_policy(watched, time_machine):
    from antrean.booking import actions
    from antrean.offices.models import Office, ServiceType

    booked = actions.book(
        office=Office.objects.get(code="jakarta-pusat"),
        service=ServiceType.objects.get(code="baru"),
        phone="6281234579911",
        name="Budi Santoso",
        birth_date=datetime.date(1987, 1, 25),
        visit_date=datetime.date(2027, 8, 9),
        hour=datetime.time(9),
        now=SUNDAY,
        channel="whatsapp",
        actor="test",
        confirmed=True,
    ).booking
    time_machine.move_to(MONDAY_EARLY, tick=True)

    context, messages = watched
    page = context.new_page()
    page.goto("/kantor/")
    page.fill("#id_username", "pusat")
    page.fill("#id_password", "antrean-demo")
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/kantor/hari-ini$"))
    the_policy_is_enforced(page, messages)
    # The office switch sends its form on change (backoffice/office.js).
    with page.expect_navigation():
        page.select_option("select[name=office]", label=booked.office.name)
    assert booked.office.name in page.locator(".bar .brand").inner_text()
    no_inline_style_element(page)

    page.goto(f"/kantor/check-in?code={booked.code}")  # backoffice/scan.js
    page.locator("#booking", has_text="Budi Santoso").wait_for()
    actions.check_in(code=booked.code, now=MONDAY_EARLY, actor="test", identity_checked=True)
    page.goto(f"/kantor/check-in/{booked.code}/tiket")
    page.get_by_role("button", name="Cetak tiket").click()  # backoffice/office.js
    assert page.evaluate("window.printed") == 1

    # The counter polls while nobody is being served, and stops once someone is
    # (data-poll-unless in backoffice/office.js, once an htmx filter needing eval).
    polls = []
    page.on("request", lambda r: "hx-request" in r.headers and polls.append(r.url))
    page.goto("/kantor/loket/1")
    with page.expect_request(re.compile(r"/kantor/loket/1$"), timeout=8_000):
        pass
    page.click("#call-next")
    page.locator("#current-number").wait_for()
    polls.clear()
    page.wait_for_timeout(6_000)
    assert polls == []
    page.goto("/kantor/statistik")
    board = context.new_page()
    with board.expect_response(re.compile(r"/papan/jakarta-pusat$")):
        board.goto("/papan/jakarta-pusat")
    with board.expect_response(re.compile(r"/papan/jakarta-pusat$")):  # htmx, every second
        pass
    no_inline_style_element(board)
    board.click("#sound")  # backoffice/board.js
    assert refusals(messages) == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_runs_under_the_policy(watched, django_user_model):
    django_user_model.objects.create_superuser("admin-csp", "", "admin-csp-password")
    context, messages = watched
    page = context.new_page()
    page.goto("/admin/")
    page.fill("#id_username", "admin-csp")
    page.fill("#id_password", "admin-csp-password")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    the_policy_is_enforced(page, messages)
    page.goto("/admin/offices/office/")
    page.click("#result_list tbody th a >> nth=0")  # a change form, with time widgets
    page.locator("#id_code").wait_for()
    page.goto("/admin/offices/office/add/")
    page.locator("#id_city").press_sequentially("Kota Uji")  # admin's prepopulate.js
    assert page.input_value("#id_code") == "kota-uji"
    page.goto("/admin/booking/booking/")
    assert refusals(messages) == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_simulator_runs_under_the_policy(watched):
    from antrean.backoffice.tests.test_whole_day import work
    from antrean.ops.tests.processes import JAKARTA_PUSAT

    context, messages = watched
    page = context.new_page()
    page.goto("/simulator/")
    the_policy_is_enforced(page, messages)
    page.select_option("[data-testid=number]", JAKARTA_PUSAT)
    page.fill("[data-testid=wa-id]", "6281234579922")
    page.dispatch_event("[data-testid=wa-id]", "change")
    page.fill("[data-testid=text]", "#Budi Santoso#25011987#10082027")
    with page.expect_response(re.compile(r"/webhooks/whatsapp$")):
        page.click("[data-testid=send]")
    work()  # the worker's turn, as in the whole-day test
    qr = page.locator(".bubble.out img").first  # the booking's QR code, shown from media
    qr.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=qr.element_handle())
    assert refusals(messages) == []
