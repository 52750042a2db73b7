"""Server-rendered pages: readable without JavaScript, enhanced by ES modules.

Pages depend only on content/, which is fixed for the life of the process, so each
page is rendered once and served from memory afterwards (with an ETag). The data the
modules work from is not in the pages: client_modules builds it once as generated
static modules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, g, render_template, request

from .content import Content
from .http import Body
from .inline import finish_page, wants_linked_css
from .regions import country_names
from .reminders import rules as rem
from .wording import duration_words

bp = Blueprint("pages", __name__)

# The data the page modules work from, generated at start-up (client_modules) and
# imported by relative path, as region-data.js and reminder-data.js are.
APP_DATA_MODULE = "js/app-data.js"
SCREENING_MODULE = "js/screening-data.js"
PROGRESS_MODULE = "js/progress-data.js"


def get_content() -> Content:
    return current_app.extensions["mbr_content"]


def rendered_once(view: Callable[..., str]) -> Callable[..., object]:
    """Render a page once per variant: with the stylesheet inline (from the network) or
    linked (`?css=linked`, the copy the service worker stores)."""

    @wraps(view)
    def wrapper(**kwargs):
        cache: dict[tuple[str, bool], Body] = current_app.extensions.setdefault("mbr_pages", {})
        policies: dict[tuple[str, bool], str] = current_app.extensions.setdefault("mbr_page_policies", {})
        key = (request.path, wants_linked_css())
        body = cache.get(key)
        if body is None:
            g.css_linked = key[1]
            html, policies[key] = finish_page(view(**kwargs))
            body = Body.of(html, "text/html")
            cache[key] = body
        response = body.respond(request)
        response.headers["Content-Security-Policy"] = policies[key]
        return response

    return wrapper


@bp.get("/")
@rendered_once
def home() -> str:
    return render_template("pages/home.html", nav="home")


@bp.get("/causes")
@rendered_once
def causes() -> str:
    return render_template("pages/causes.html", nav="home")


@bp.get("/causes/<category_id>")
@rendered_once
def category(category_id: str) -> str:
    content = get_content()
    cat = content.categories.get(category_id) or abort(404)
    return render_template(
        "pages/category.html", nav="home", category=cat, causes=content.causes_in(category_id)
    )


@bp.get("/causes/<category_id>/<cause_id>")
@rendered_once
def cause(category_id: str, cause_id: str) -> str:
    content = get_content()
    item = content.causes.get(cause_id)
    if item is None or item["category"] != category_id:
        abort(404)
    return render_template(
        "pages/cause.html", nav="home", cause=item, category=content.categories[category_id]
    )


@bp.get("/stretches")
@rendered_once
def stretches() -> str:
    return render_template("pages/stretches.html", nav="stretches")


@bp.get("/stretches/<exercise_id>")
@rendered_once
def stretch(exercise_id: str) -> str:
    content = get_content()
    item = content.exercises.get(exercise_id) or abort(404)
    return render_template(
        "pages/stretch.html",
        nav="stretches",
        exercise=item,
        routines=content.routines_with(exercise_id),
    )


@bp.get("/routines/<routine_id>")
@rendered_once
def routine(routine_id: str) -> str:
    item = get_content().routines.get(routine_id) or abort(404)
    return render_template("pages/routine.html", nav="stretches", routine=item)


@bp.get("/reminders")
@rendered_once
def reminders() -> str:
    return render_template("pages/reminders.html", nav="reminders")


@bp.get("/screening")
@rendered_once
def screening() -> str:
    return render_template("pages/screening.html", nav="screening")


@bp.get("/settings")
@rendered_once
def settings() -> str:
    return render_template("pages/settings.html", nav="settings")


@bp.get("/progress")
@rendered_once
def progress() -> str:
    return render_template("pages/progress.html", nav="settings")


@bp.get("/about")
@rendered_once
def about() -> str:
    return render_template("pages/about.html", nav="settings")


def page_urls(content: Content) -> list[str]:
    """Every page the app needs offline; the service worker precaches exactly these."""
    urls = ["/", "/causes", "/stretches", "/reminders", "/screening", "/settings", "/about",
            "/progress"]
    urls += [f"/causes/{c}" for c in content.categories]
    urls += [f"/causes/{c['category']}/{c['id']}" for c in content.causes.values()]
    urls += [f"/stretches/{e}" for e in content.exercises]
    urls += [f"/routines/{r}" for r in content.routines]
    return urls


def app_data(content: Content) -> dict:
    """The slice of content the client-side modules (plan, settings, progress) work
    from, holding only what those modules read and nothing another module already has:
    the reminder texts, each choice's reminders and the reminder constants are in
    reminder-data.js (server/reminders/client.py), and storage.js's appData() joins
    the two; the choices' labels are in the home page's form."""
    return {
        # leave_out: movements no routine in the person's plan may make once they pick
        # this choice (safety.yaml), whatever else they pick.
        "choices": [{"id": c["id"], "causes": c["causes"], "routines": c["routines"],
                     "check_first": c["check_first"],
                     "leave_out": content.movements_left_out(c["causes"])}
                    for c in content.choices.values()],
        "causes": {
            c["id"]: {"title": c["short_title"], "category": c["category"]}
            for c in content.causes.values()
        },
        "routines": {
            r["id"]: {"title": r["title"], "summary": r["summary"], "gentle": r["gentle"],
                      "movements": content.routine_movements(r["id"])}
            for r in content.routines.values()
        },
    }


def progress_client(content: Content) -> dict:
    """The diary's rules (content/progress.yaml) and the safety-check level titles the
    clinician summary names; progress-rules.js evaluates the rules on the device."""
    rules = content.progress
    return {
        **{key: rules[key] for key in ("version", "trend", "insights", "adaptations")},
        "levels": {level["id"]: level["title"] for level in content.screening["levels"]},
    }


# A move that holds a position this long or longer is timed hold by hold on its page,
# and its steps count as holds in the player (shorter when the plan asks for it).
TIMED_HOLD_SECONDS = 5


def screening_client(content: Content) -> dict:
    """The rule set as the safety-check page evaluates it. The number tables are not
    here: every page gets them once, in the generated region-data.js module. Nor is
    what the page's HTML already carries and evaluation never reads: the signs' and
    combinations' source ids (cited on /screening) and the outcomes' words."""
    rules = content.screening

    def unsourced(items: list[dict]) -> list[dict]:
        return [{k: v for k, v in item.items() if k != "sources"} for item in items]

    return {
        "version": rules["version"],
        # Ids only, most urgent first: the outcomes' words are in /screening's HTML
        # (its static lists), which the page reads them from.
        "levels": [{"id": level["id"]} for level in rules["levels"]],
        "signs": unsourced(rules["signs"]),
        "questions": rules["questions"],
        "combinations": unsourced(rules["combinations"]),
    }


def region_options(content: Content) -> list[tuple[str, str]]:
    """(code, name) for every region with a known emergency number, by name."""
    names = country_names()
    codes = [c for c in content.screening["emergency_numbers"] if c != "default"]
    return sorted(((c, names.get(c, c)) for c in codes), key=lambda item: item[1])


def _module(data: object, built_from: str) -> str:
    # Keys keep the content's order: the modules list choices and routines in it.
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return (
        f"// Generated at start-up by server/pages.py from {built_from}. Do not edit.\n"
        f"export default {body};\n"
    )


def client_modules(content: Content) -> dict[str, str]:
    """The page data as generated ES modules (asset name -> source), served and
    precached like any static file under a content hash. The data is not in the HTML:
    each page's first 14 KB stays markup and CSS, a browser downloads each module once
    for every page that reads it, and an edit to one of them changes no page."""
    return {
        APP_DATA_MODULE: _module(app_data(content), "content/ (choices, causes, routines)"),
        SCREENING_MODULE: _module(screening_client(content), "content/screening.yaml"),
        PROGRESS_MODULE: _module(progress_client(content), "content/progress.yaml and content/screening.yaml"),
    }


def init_app(app: Flask) -> None:
    content: Content = app.extensions["mbr_content"]
    app.jinja_env.globals["timed_hold_seconds"] = TIMED_HOLD_SECONDS
    app.jinja_env.globals["region_options"] = region_options(content)
    # The plan editor's limits, from the rules (never retyped in a template).
    app.jinja_env.globals["reminder_limits"] = rem.client_constants()
    app.jinja_env.filters["duration"] = duration_words
    app.register_blueprint(bp)
