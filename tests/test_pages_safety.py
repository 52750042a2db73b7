"""Server-rendered safety wording (issue 9, items 7 and 8): each routine step shows its
move's own cautions, "Before you start" comes before the player, the hydration warnings
sit next to the reminder switch and the glass tracker, and the About page claims no
clinical review."""

import re
from html.parser import HTMLParser

from markupsafe import escape

from server import create_app
from tests.test_content import break_file


class Tree(HTMLParser):
    """A small DOM: enough to ask what an element contains and what comes next to it."""

    VOID = {"input", "br", "img", "meta", "link", "source", "use", "path", "circle", "rect",
            "line", "polyline", "ellipse", "polygon"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = {"tag": "#root", "attrs": {}, "children": [], "parent": None}
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = {"tag": tag, "attrs": dict(attrs), "children": [], "parent": self.stack[-1]}
        self.stack[-1]["children"].append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1]["children"].append({"tag": tag, "attrs": dict(attrs), "children": [],
                                           "parent": self.stack[-1]})

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1]["children"].append(data)

    def walk(self, node=None):
        node = node or self.root
        for child in node["children"]:
            if isinstance(child, dict):
                yield child
                yield from self.walk(child)

    def by_id(self, id_: str) -> dict:
        found = [n for n in self.walk() if n["attrs"].get("id") == id_]
        assert len(found) == 1, (id_, len(found))
        return found[0]

    def select(self, node: dict, cls: str) -> list[dict]:
        return [n for n in self.walk(node) if cls in (n["attrs"].get("class") or "").split()]

    @staticmethod
    def text(node) -> str:
        if isinstance(node, str):
            return node
        return "".join(Tree.text(c) for c in node["children"])

    @staticmethod
    def elements(node: dict) -> list[dict]:
        return [c for c in node["children"] if isinstance(c, dict)]


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_each_routine_step_shows_its_moves_own_cautions(app, client):
    content = app.extensions["mbr_content"]
    for routine in content.routines.values():
        tree = Tree(client.get(f"/routines/{routine['id']}").get_data(as_text=True))
        steps = [n for n in tree.walk() if n["attrs"].get("class") == "routine-step"]
        assert len(steps) == len(routine["steps"])
        for li, step in zip(steps, routine["steps"], strict=True):
            ex = content.exercises[step["exercise"]]
            assert li["attrs"]["data-exercise"] == ex["id"]
            (cautions,) = tree.select(li, "step-cautions")
            shown = [words(Tree.text(c)) for c in Tree.elements(cautions)]
            assert shown == ex["cautions"], (routine["id"], ex["id"])


def test_before_you_start_comes_before_the_player_on_every_routine(app, client):
    content = app.extensions["mbr_content"]
    caution = content.safety["general_caution"]
    for rid in content.routines:
        html = client.get(f"/routines/{rid}").get_data(as_text=True)
        tree = Tree(html)
        box = tree.by_id("general-caution")
        assert words(Tree.text(box)) == f"{caution['title']} {caution['text']}"
        siblings = Tree.elements(box["parent"])
        after = siblings[siblings.index(box) + 1]
        if after["attrs"].get("class") == "split":
            # Desktop layout: the player leads the main column of the split.
            after = Tree.elements(Tree.elements(after)[0])[0]
        assert after["attrs"]["id"] == "player"
        # Its sources are listed with the page's own.
        sources = words(Tree.text(tree.select(tree.root, "sources")[-1]))
        for sid in caution["sources"]:
            assert content.sources[sid]["title"] in sources


def test_flexion_and_extension_cautions_reach_the_routines_that_use_them(client):
    html = client.get("/routines/floor-unwind").get_data(as_text=True)
    # Before you start, then cat-cow, thread-the-needle and child's pose.
    assert html.count("weak bones (osteoporosis)") == 4
    assert "leave out the dip" in html
    desk = client.get("/routines/desk-reset").get_data(as_text=True)
    assert "spinal stenosis (a narrowed spinal canal), leave this one out" in desk


def test_stenosis_page_offers_only_moves_without_bending_backwards(app, client):
    content = app.extensions["mbr_content"]
    html = client.get("/causes/skeletal-neurological/spinal-stenosis").get_data(as_text=True)
    assert 'href="/routines/upright-gentle"' in html
    assert 'href="/routines/gentle-mobility"' not in html
    for ex in content.exercises.values():
        linked = f'href="/stretches/{ex["id"]}"' in html
        if "extension" in ex["movements"]:
            assert not linked, ex["id"]


def _hydration_boxes(client):
    return Tree(client.get("/reminders").get_data(as_text=True))


def test_hydration_warnings_sit_next_to_the_switch(app, client):
    hydration = app.extensions["mbr_content"].reminders["hydration"]
    tree = _hydration_boxes(client)
    fieldset = tree.by_id("type-hydration")
    children = Tree.elements(fieldset)
    switch = next(c for c in children if c["tag"] == "label" and "check" in c["attrs"].get("class", ""))
    assert [n for n in tree.walk(switch) if n["tag"] == "input"][0]["attrs"]["id"] == "on-hydration"
    after = children[children.index(switch) + 1]
    assert after["attrs"]["id"] == "hydration-warnings-plan"
    items = [words(Tree.text(li)) for li in tree.walk(after) if li["tag"] == "li"
             and "data-warning" in li["attrs"]]
    assert items == [w["text"] for w in hydration["warnings"]]


def test_hydration_warnings_sit_next_to_the_glass_tracker(app, client):
    hydration = app.extensions["mbr_content"].reminders["hydration"]
    tree = _hydration_boxes(client)
    today = tree.by_id("today")
    order = [c["attrs"].get("id") or c["attrs"].get("class") for c in Tree.elements(today)]
    tracker = order.index("glasses-progress")
    # Straight after the tracker: the target warning (hidden until needed), the button,
    # then the standing warnings.
    assert order[tracker + 1:tracker + 4] == ["target-warning-live", "actions", "hydration-warnings-today"]
    box = tree.by_id("hydration-warnings-today")
    items = [words(Tree.text(li)) for li in tree.walk(box) if li["tag"] == "li" and "data-warning" in li["attrs"]]
    assert items == [w["text"] for w in hydration["warnings"]]
    sources = words(Tree.text(tree.select(box, "sources")[0]))
    for w in hydration["warnings"]:
        for sid in w["sources"]:
            assert app.extensions["mbr_content"].sources[sid]["title"] in sources


def test_target_warnings_are_rendered_hidden_with_the_content_threshold(app, client):
    warning = app.extensions["mbr_content"].reminders["hydration"]["target_warning"]
    tree = _hydration_boxes(client)
    for where in ("today", "plan"):
        box = tree.by_id(f"target-warning-{where}")
        assert box["attrs"]["data-above"] == str(warning["above"])
        assert "hidden" in box["attrs"]
        assert box["parent"]["attrs"]["aria-live"] == "polite"
        assert words(Tree.text(box)).startswith(warning["text"])
    plan_input = tree.by_id("daily-target")
    siblings = Tree.elements(plan_input["parent"])
    assert siblings[siblings.index(plan_input) + 1]["attrs"]["class"] == "target-warning-live"


def test_about_says_drafted_and_not_reviewed(client):
    html = client.get("/about").get_data(as_text=True)
    assert "Drafted from the sources below; not yet reviewed by a clinician." in html
    assert "last reviewed" not in html.lower()
    assert "next review" not in html.lower()


def test_about_marks_unchecked_sources(app, client):
    content = app.extensions["mbr_content"]
    tree = Tree(client.get("/about").get_data(as_text=True))
    (source_list,) = tree.select(tree.root, "source-list")
    # Every source, in content/sources.yaml's order, one list item each.
    items = Tree.elements(source_list)
    assert [item["tag"] for item in items] == ["li"] * len(content.sources)
    for (sid, source), item in zip(content.sources.items(), items, strict=True):
        assert words(Tree.text(item)).startswith(f"{source['publisher']}: {source['title']}"), sid
        if source["note"]:
            assert words(Tree.text(item)).endswith(f"({words(source['note'])})"), sid
        marked = bool(tree.select(item, "unverified"))
        assert marked == source["unverified"], sid
        links = [n for n in tree.walk(item) if n["tag"] == "a"]
        assert [a["attrs"]["href"] for a in links] == ([source["url"]] if source["url"] else []), sid


def test_about_shows_a_review_once_one_is_recorded(content_copy, tmp_path):
    break_file(content_copy, "site.yaml", lambda d: d["site"].update(clinical_review={
        "reviewer": "Dr A Example", "role": "GP", "date": "2027-01-10", "next_review": "2027-07-10"}))
    app = create_app({"INSTANCE_DIR": str(tmp_path / "i"), "TESTING": True, "CONTENT_DIR": str(content_copy)})
    html = app.test_client().get("/about").get_data(as_text=True)
    assert str(escape("Reviewed by Dr A Example (GP) on 10 January 2027.")) in html
    assert "next review due 10 July 2027" in html
    assert "not yet reviewed" not in html


def test_get_help_now_and_every_stop_rule_carry_the_call_button(app, client):
    """Issue 9 item 1: "Get help now" on home (and the offline page) and the stop rule on
    every routine, stretch, library and cause page have the one-tap call and the way to
    set the number. The page fills in the person's number (tests/test_browser_emergency_numbers.py)."""
    from server.pages import page_urls

    content = app.extensions["mbr_content"]
    with_stop_rule = []
    for url in ["/", "/offline", *page_urls(content)]:
        tree = Tree(client.get(url).get_data(as_text=True))
        boxes = [n for n in tree.walk() if n["attrs"].get("id") == "get-help-now"
                 or "note-stop" in (n["attrs"].get("class") or "").split()]
        for box in boxes:
            calls = [n for n in tree.walk(box) if n["tag"] == "a" and n["attrs"].get("data-call") == "now"]
            assert len(calls) == 1, url
            assert calls[0]["attrs"]["href"].startswith("tel:"), url
            hints = [n for n in tree.walk(box)
                     if n["tag"] == "a" and n["attrs"].get("href") == "/settings#emergency-title"]
            assert len(hints) == 1, url
        if any("note-stop" in (b["attrs"].get("class") or "") for b in boxes):
            with_stop_rule.append(url)
        if url in ("/", "/offline"):
            assert [b["attrs"].get("id") for b in boxes] == ["get-help-now"], url
    expected = ["/stretches", *[f"/stretches/{e}" for e in content.exercises],
                *[f"/routines/{r}" for r in content.routines],
                *[f"/causes/{c['category']}/{c['id']}" for c in content.causes.values()]]
    assert sorted(with_stop_rule) == sorted(expected)


def test_progress_lists_what_its_plan_advice_rests_on(app, client):
    """The diary's advice (when to get checked, the gentler and next-step plans) is picked
    on the device, so the page lists every source behind any of it."""
    progress = app.extensions["mbr_content"].progress
    wanted = set(progress["trend"]["sources"])
    for rule in progress["adaptations"]:
        wanted.update(rule["sources"])
    html = client.get("/progress").get_data(as_text=True)
    listed = html[html.index('<details class="sources">'):]
    sources = app.extensions["mbr_content"].sources
    for sid in sorted(wanted):
        assert str(escape(sources[sid]["title"])) in listed, sid
