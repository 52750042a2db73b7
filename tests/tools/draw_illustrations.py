"""Draw the exercise illustrations (client/static/illustrations/*.svg) from poses.

Every figure is built from the same body, so heads, trunks and limbs keep one set of
proportions across all fourteen drawings. Each file holds a start and an end pose
(`<g id="start">`, `<g id="end">`) over the parts both share (`<g id="still">`); the
server bundles them into one sprite (server/illustrations.py). Run after changing a pose:

    python tests/tools/draw_illustrations.py

Colours are left to the page: lines without a stroke take the figure colour, lines with
`stroke="currentColor"` are the moving part and its arrows (the highlight colour).
tests/test_illustrations.py checks that the committed files match this script.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "client" / "static" / "illustrations"

Point = tuple[float, float]

FLOOR = 150
# One body for every figure (user units of a 200 x 160 view).
HEAD_R = 10
NECK = 7  # shoulder line to the bottom of the head
LUMBAR = 20  # hip to mid-back
THORACIC = 24  # mid-back to shoulders
UPPER_ARM = 21
FOREARM = 19
THIGH = 31
SHIN = 31
FOOT = 9
TRUNK_W = 12
LIMB_W = 7
ARROW_W = 4
PROP_W = 4

# The page's `.ill` rule draws the sprite the same way (tests/test_illustrations.py checks
# they agree) and supplies the colours, so the drawings follow light and dark.
ROOT_ATTRS = f'fill="none" stroke-width="{LIMB_W}" stroke-linecap="round" stroke-linejoin="round"'
# Only for looking at a file on its own; the sprite leaves the root attributes out.
PREVIEW_ATTRS = 'stroke="#0f5c5a" color="#c2410c"'


def n(v: float) -> str:
    return str(int(round(v)))


def at(p: Point, deg: float, length: float) -> Point:
    r = math.radians(deg)
    return (p[0] + length * math.cos(r), p[1] + length * math.sin(r))


def mid(a: Point, b: Point, t: float = 0.5) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def attrs(hl: bool, far: bool, width: float | None) -> str:
    out = ""
    if hl:
        out += ' stroke="currentColor"'
    if far:
        out += ' stroke-opacity=".5"'
    if width is not None and width != LIMB_W:
        out += f' stroke-width="{n(width)}"'
    return out


def line(points: Sequence[Point], hl: bool = False, far: bool = False, width: float | None = None) -> str:
    d = "M" + "L".join(f"{n(x)} {n(y)}" for x, y in points)
    return f'<path d="{d}"{attrs(hl, far, width)}/>'


def curve(a: Point, c: Point, b: Point, hl: bool = False, far: bool = False,
          width: float | None = None) -> str:
    d = f"M{n(a[0])} {n(a[1])}Q{n(c[0])} {n(c[1])} {n(b[0])} {n(b[1])}"
    return f'<path d="{d}"{attrs(hl, far, width)}/>'


def prop(d: str, width: float = PROP_W) -> str:
    """Furniture and floor: thin and faint, so the person stands out."""
    return f'<path d="{d}" stroke-width="{n(width)}" stroke-opacity=".45"/>'


def use(part: str) -> str:
    return f'<use href="#{part}"/>'


def head(center: Point, face: float | None = None, hl: bool = False) -> str:
    """A solid disc (a circle whose stroke fills it, so it takes the line colour) with a
    small nose that shows which way the face looks; `face` None is seen from the front
    or behind."""
    cx, cy = center
    out = f'<circle cx="{n(cx)}" cy="{n(cy)}" r="{HEAD_R // 2}" stroke-width="{HEAD_R}"{attrs(hl, False, None)}/>'
    if face is not None:
        # Just below the middle of the face, so it reads as a nose and not a cap.
        tilt = 18 if math.cos(math.radians(face)) >= 0 else -18
        out += line([at(center, face + tilt, HEAD_R - 3), at(center, face + tilt, HEAD_R + 2)], hl=hl, width=5)
    return out


def arrow(points: Sequence[Point], head_len: float = 9) -> str:
    """A highlighted arrow along a quadratic curve (3 points) or a straight line (2)."""
    if len(points) == 3:
        a, c, b = points
        d = f"M{n(a[0])} {n(a[1])}Q{n(c[0])} {n(c[1])} {n(b[0])} {n(b[1])}"
        tail = c
    else:
        a, b = points
        d = f"M{n(a[0])} {n(a[1])}L{n(b[0])} {n(b[1])}"
        tail = a
    ang = math.degrees(math.atan2(b[1] - tail[1], b[0] - tail[0]))
    left, right = at(b, ang + 150, head_len), at(b, ang - 150, head_len)
    d += f"M{n(left[0])} {n(left[1])}L{n(b[0])} {n(b[1])}L{n(right[0])} {n(right[1])}"
    return f'<path d="{d}" stroke="currentColor" stroke-width="{ARROW_W}"/>'


def arc_arrow(center: Point, r: float, a0: float, a1: float, ry: float | None = None) -> str:
    """A highlighted arrow along a circular (or elliptical) arc from angle a0 to a1."""
    ry = r if ry is None else ry
    p0 = (center[0] + r * math.cos(math.radians(a0)), center[1] + ry * math.sin(math.radians(a0)))
    p1 = (center[0] + r * math.cos(math.radians(a1)), center[1] + ry * math.sin(math.radians(a1)))
    sweep = 1 if a1 > a0 else 0
    large = 1 if abs(a1 - a0) > 180 else 0
    d = f"M{n(p0[0])} {n(p0[1])}A{n(r)} {n(ry)} 0 {large} {sweep} {n(p1[0])} {n(p1[1])}"
    # Tangent at the end of the arc, in the direction of travel.
    t = math.radians(a1)
    tx, ty = -r * math.sin(t), ry * math.cos(t)
    if not sweep:
        tx, ty = -tx, -ty
    ang = math.degrees(math.atan2(ty, tx))
    left, right = at(p1, ang + 150, 9), at(p1, ang - 150, 9)
    d += f"M{n(left[0])} {n(left[1])}L{n(p1[0])} {n(p1[1])}L{n(right[0])} {n(right[1])}"
    return f'<path d="{d}" stroke="currentColor" stroke-width="{ARROW_W}"/>'


# --- The body ---------------------------------------------------------------------


def limb(start: Point, a1: float, a2: float, l1: float, l2: float) -> list[Point]:
    j = at(start, a1, l1)
    return [start, j, at(j, a2, l2)]


def leg(hip: Point, thigh: float, shin: float, foot: float | None = 0, **kw) -> str:
    pts = limb(hip, thigh, shin, THIGH, SHIN)
    if foot is not None:
        pts.append(at(pts[-1], foot, FOOT))
    return line(pts, **kw)


def two_bone(a: Point, b: Point, l1: float, l2: float, bend: int) -> list[Point]:
    """Joint positions of a two-segment limb from a to b (inverse kinematics)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = min(math.hypot(dx, dy), l1 + l2 - 0.01)
    base = math.degrees(math.atan2(dy, dx))
    cos_a = (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d)
    off = math.degrees(math.acos(max(-1.0, min(1.0, cos_a))))
    j = at(a, base + bend * off, l1)
    return [a, j, b]


@dataclass
class Spine:
    """Hip to shoulders as one smooth curve through the mid-back; either half can be
    highlighted (the mid-back is what these exercises move)."""

    hip: Point
    lumbar: float  # direction of the lower back, degrees (-90 is straight up)
    thoracic: float  # direction of the upper back

    @property
    def waist(self) -> Point:
        return at(self.hip, self.lumbar, LUMBAR)

    @property
    def shoulder(self) -> Point:
        return at(self.waist, self.thoracic, THORACIC)

    def draw(self, hl_upper: bool = False) -> list[str]:
        h, m, s = self.hip, self.waist, self.shoulder
        # Control points on the hip-to-shoulder direction, so the halves meet smoothly.
        tangent = ((s[0] - h[0]) / 4, (s[1] - h[1]) / 4)
        c1 = (m[0] - tangent[0], m[1] - tangent[1])
        c2 = (m[0] + tangent[0], m[1] + tangent[1])
        if not hl_upper:
            d = (f"M{n(h[0])} {n(h[1])}Q{n(c1[0])} {n(c1[1])} {n(m[0])} {n(m[1])}"
                 f"Q{n(c2[0])} {n(c2[1])} {n(s[0])} {n(s[1])}")
            return [f'<path d="{d}"{attrs(False, False, TRUNK_W)}/>']
        return [curve(h, c1, m, width=TRUNK_W), curve(m, c2, s, hl=True, width=TRUNK_W)]


def neck_head(shoulder: Point, direction: float, face: float | None, hl: bool = False) -> list[str]:
    center = at(shoulder, direction, NECK + HEAD_R)
    return [line([shoulder, at(shoulder, direction, NECK + 2)], hl=hl), head(center, face, hl)]


# --- Views and shared parts -------------------------------------------------------

SEAT_Y = 121  # top of a chair seat; a seated hip sits just above it
SEAT_HIP: Point = (68, SEAT_Y - 7)
CHAIR_BACK_TOP = 92
SEATED_VIEW = "-5 30 155 124"

PARTS = {
    "p-floor": prop(f"M8 {FLOOR}H192", 3),
    # A chair seen from the side, back on the left.
    "p-chair": prop(f"M58 {CHAIR_BACK_TOP}V{FLOOR}M58 {SEAT_Y + 2}H98V{FLOOR}"),
    # Seated legs, side view, feet flat.
    "p-legs": leg(SEAT_HIP, 0, 90, 0),
}


PATH = re.compile(r'<path d="([^"]+)"([^>]*)/>')


def merge(items: Iterable[str]) -> list[str]:
    """Neighbouring paths drawn alike become one path: a smaller sprite, same picture."""
    out: list[str] = []
    for item in "".join(items).replace("/><", "/>\n<").split("\n"):
        last = PATH.fullmatch(out[-1]) if out else None
        this = PATH.fullmatch(item)
        if last and this and last.group(2) == this.group(2):
            out[-1] = f'<path d="{last.group(1)}{this.group(1)}"{this.group(2)}/>'
        else:
            out.append(item)
    return out


@dataclass
class Drawing:
    still: list[str] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    end: list[str] = field(default_factory=list)
    view_box: str = "0 0 200 160"

    def svg(self) -> str:
        groups = []
        for name in ("still", "start", "end"):
            items = merge(getattr(self, name))
            if items:
                groups.append(f'<g id="{name}">' + "".join(items) + "</g>")
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{self.view_box}" {ROOT_ATTRS} '
            f'{PREVIEW_ATTRS}>\n' + "\n".join(groups) + "\n</svg>\n"
        )


# --- 3-D views for the twisting moves ---------------------------------------------

Vec = tuple[float, float, float]


@dataclass
class Camera:
    """Orthographic camera: turned `yaw` degrees about the vertical and looking down
    `pitch` degrees; x right, y up, z away from the viewer."""

    yaw: float
    pitch: float
    origin: Point

    def __call__(self, p: Vec) -> Point:
        x, y, z = p
        cy, sy = math.cos(math.radians(self.yaw)), math.sin(math.radians(self.yaw))
        cp, sp = math.cos(math.radians(self.pitch)), math.sin(math.radians(self.pitch))
        xr, zr = x * cy + z * sy, -x * sy + z * cy
        return (self.origin[0] + xr, self.origin[1] - (y * cp + zr * sp))

    def line(self, pts: Iterable[Vec], **kw) -> str:
        return line([self(p) for p in pts], **kw)


def quad_through(a: Point, m: Point, b: Point) -> list[Point]:
    """Quadratic control points for a curve from a through m to b."""
    return [a, (2 * m[0] - (a[0] + b[0]) / 2, 2 * m[1] - (a[1] + b[1]) / 2), b]


def face_dir(cam: Camera, center: Vec, facing: Vec) -> float | None:
    """Screen direction of a face looking along `facing`, None when it looks at the viewer
    or away (the nose would be hidden)."""
    a = cam(center)
    b = cam((center[0] + facing[0] * 10, center[1] + facing[1] * 10, center[2] + facing[2] * 10))
    if math.hypot(b[0] - a[0], b[1] - a[1]) < 5:
        return None
    return math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))


def turn(p: Vec, deg: float) -> Vec:
    """Rotate about the vertical axis through the origin."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return (p[0] * c + p[2] * s, p[1], -p[0] * s + p[2] * c)


# --- The exercises ----------------------------------------------------------------


def side_seated(spine: Spine, head_dir: float, face: float, arm_pts: Sequence[Point],
                hl_upper: bool = True, hl_head: bool = False) -> list[str]:
    """Trunk, arm (drawn before the head so a hand behind it is hidden) and head."""
    return [*spine.draw(hl_upper=hl_upper), line(arm_pts), *neck_head(spine.shoulder, head_dir, face, hl_head)]


SEATED = [use("p-floor"), use("p-chair"), use("p-legs")]


def seated_extension() -> Drawing:
    up = Spine(SEAT_HIP, -90, -90)
    back = Spine(SEAT_HIP, -90, -122)

    def hands_behind_head(sp: Spine, tilt: float) -> list[Point]:
        # Elbow forward beside the face, hand at the back of the head.
        s = sp.shoulder
        h = at(s, -90 + tilt, NECK + HEAD_R)
        return [s, at(s, -30 + tilt, UPPER_ARM), at(h, 180 + tilt, HEAD_R - 2)]

    start = side_seated(up, -90, 0, hands_behind_head(up, 0))
    end = side_seated(back, -118, -28, hands_behind_head(back, -28))
    end.append(arc_arrow(up.waist, 60, -78, -122))
    return Drawing(SEATED, start, end, SEATED_VIEW)


def hand_on_thigh(shoulder: Point, x: float) -> list[Point]:
    return two_bone(shoulder, (x, SEAT_HIP[1] - 6), UPPER_ARM, FOREARM, -1)


def seated_flexion() -> Drawing:
    up = Spine(SEAT_HIP, -90, -90)
    curl = Spine(SEAT_HIP, -82, -48)
    start = side_seated(up, -90, 0, hand_on_thigh(up.shoulder, 86), hl_head=True)
    end = side_seated(curl, 25, 75, hand_on_thigh(curl.shoulder, 98), hl_head=True)
    end.append(arc_arrow(up.waist, 58, -80, -42))
    return Drawing(SEATED, start, end, SEATED_VIEW)


def slow_belly_breathing() -> Drawing:
    sp = Spine(SEAT_HIP, -90, -90)
    trunk = [*sp.draw(), *neck_head(sp.shoulder, -90, 0)]
    front = SEAT_HIP[0] + TRUNK_W / 2

    def belly(out: float) -> list[str]:
        top, bottom = (front, 90), (front, 112)
        bulge = (front + out * 2, 101)
        hand = (front + out + 4, 101)
        return [curve(top, bulge, bottom, hl=True, width=5),
                line(two_bone(sp.shoulder, hand, UPPER_ARM, FOREARM, -1))]

    start = [*trunk, *belly(9), arrow([(front + 18, 101), (front + 32, 101)], 7)]
    end = [*trunk, *belly(1), arrow([(front + 30, 101), (front + 16, 101)], 7)]
    return Drawing(SEATED, start, end, SEATED_VIEW)


def chin_tuck() -> Drawing:
    sp = Spine(SEAT_HIP, -90, -90)
    s = sp.shoulder
    arm = hand_on_thigh(s, 88)
    start = [*sp.draw(), line(arm), *neck_head(s, -58, 0, hl=True)]
    end = [*sp.draw(), line(arm), *neck_head(s, -90, 0, hl=True)]
    eye = at(s, -90, NECK + HEAD_R)
    end.append(arrow([(eye[0] + 40, eye[1]), (eye[0] + 20, eye[1])], 7))
    return Drawing([use("p-chair"), use("p-legs")], start, end, "22 34 100 80")


# Front view, seated: the chair seat and legs face the viewer.
FRONT_HIP: Point = (100, SEAT_Y - 7)
PARTS["p-chair-front"] = prop(f"M72 {SEAT_Y + 2}H128M74 {SEAT_Y + 2}V{FLOOR}M126 {SEAT_Y + 2}V{FLOOR}")
PARTS["p-legs-front"] = (
    line([(FRONT_HIP[0] - 20, FRONT_HIP[1]), (FRONT_HIP[0] + 20, FRONT_HIP[1])], width=TRUNK_W)
    + line([(88, FRONT_HIP[1]), (86, 122), (86, FLOOR - 4)])
    + line([(112, FRONT_HIP[1]), (114, 122), (114, FLOOR - 4)])
)
SEATED_FRONT = [use("p-floor"), use("p-chair-front"), use("p-legs-front")]


def shoulders(s: Point, trunk_dir: float, half: float) -> tuple[Point, Point]:
    return at(s, trunk_dir - 90, half), at(s, trunk_dir + 90, half)


def seated_rotation() -> Drawing:
    # Seen from the front and a little above: the shoulders and head turn while the
    # hips and knees keep facing forward.
    angle, arrow_dy, arrow_r = -50, -16, 40
    cam = Camera(0, 14, (100, FRONT_HIP[1]))
    top = LUMBAR + THORACIC

    def upper(deg: float) -> list[str]:
        t = lambda p: turn(p, deg)  # noqa: E731
        sr, sl = t((-20, top, 0)), t((20, top, 0))
        head_c = t((0, top + NECK + HEAD_R, 0))
        return [
            cam.line([(0, 0, 0), (0, LUMBAR, 0)], width=TRUNK_W),
            cam.line([(0, LUMBAR, 0), (0, top, 0)], hl=True, width=TRUNK_W),
            cam.line([sr, sl], hl=True),
            # Arms crossed over the chest, each hand on the other shoulder.
            cam.line([sl, t((8, top - 22, -14)), t((-16, top - 2, -6))]),
            cam.line([sr, t((-8, top - 20, -16)), t((16, top - 2, -6))]),
            cam.line([(0, top, 0), head_c]),
            head(cam(head_c), face_dir(cam, head_c, t((0, 0, -1)))),
        ]

    start = upper(0)
    end = upper(angle)
    arc = [cam((arrow_r * math.sin(math.radians(a)), top + arrow_dy, -arrow_r * math.cos(math.radians(a))))
           for a in (-55, 0, 55)]
    end.append(arrow(quad_through(*arc), 7))
    return Drawing(SEATED_FRONT, start, end, "15 22 170 136")


def progressive_relaxation() -> Drawing:
    sp = Spine(FRONT_HIP, -90, -90)
    s = sp.shoulder

    def body(lift: float) -> list[str]:
        left, right = (s[0] - 20, s[1] - lift), (s[0] + 20, s[1] - lift)
        return [
            *sp.draw(),
            line([left, (s[0], s[1] - lift / 3), right], hl=True),
            # Hands resting on the thighs, elbows out.
            line([left, (left[0] - 6, s[1] + 22), (88, FRONT_HIP[1] + 2)]),
            line([right, (right[0] + 6, s[1] + 22), (112, FRONT_HIP[1] + 2)]),
            *neck_head(s, -90, None),
        ]

    start = [*body(9), arrow([(s[0] - 36, s[1] + 2), (s[0] - 36, s[1] - 16)], 7),
             arrow([(s[0] + 36, s[1] + 2), (s[0] + 36, s[1] - 16)], 7)]
    end = [*body(-2), arrow([(s[0] - 36, s[1] - 14), (s[0] - 36, s[1] + 4)], 7),
           arrow([(s[0] + 36, s[1] - 14), (s[0] + 36, s[1] + 4)], 7)]
    return Drawing(SEATED_FRONT, start, end, "15 22 170 136")


def seated_side_bend() -> Drawing:
    # Seen from the front, sitting sideways: the chair back, with a cushion on top, is
    # beside the left hip.
    hip = (106, SEAT_Y - 7)
    still = [
        use("p-floor"),
        prop(f"M70 {SEAT_Y - 32}V{FLOOR}M70 {SEAT_Y + 2}H134V{FLOOR}"),
        f'<ellipse cx="74" cy="{SEAT_Y - 38}" rx="10" ry="6" stroke-width="4" stroke-opacity=".45"/>',
        line([(hip[0] - 10, hip[1]), (hip[0] + 10, hip[1])], width=TRUNK_W),
        line([(hip[0] - 8, hip[1]), (hip[0] - 10, 122), (hip[0] - 10, FLOOR - 4)]),
        line([(hip[0] + 8, hip[1]), (hip[0] + 10, 122), (hip[0] + 10, FLOOR - 4)]),
    ]

    def upper(sp: Spine, reach: bool) -> list[str]:
        s, d = sp.shoulder, sp.thoracic
        left, right = shoulders(s, d, 18)
        # The top arm rests along the side, then reaches over the head with the bend.
        top_arm = limb(right, d - 8, d - 40, UPPER_ARM, FOREARM) if reach else limb(right, 95, 90, UPPER_ARM, FOREARM)
        return [*sp.draw(hl_upper=True), line([left, right], hl=True), line(top_arm, hl=True),
                line(limb(left, 95, 90, UPPER_ARM, FOREARM)), *neck_head(s, d, None)]

    upright = Spine(hip, -90, -90)
    start = upper(upright, False)
    end = upper(Spine(hip, -96, -140), True)
    end.append(arc_arrow(upright.waist, 66, -84, -132))
    return Drawing(still, start, end, "15 22 170 136")


def shoulder_blade_squeeze() -> Drawing:
    # Seen from behind, sitting on a stool.
    still = [
        use("p-floor"),
        prop(f"M78 {SEAT_Y + 2}H122M82 {SEAT_Y + 2}V{FLOOR}M118 {SEAT_Y + 2}V{FLOOR}"),
        line([(90, SEAT_Y), (90, FLOOR - 4)], far=True),
        line([(110, SEAT_Y), (110, FLOOR - 4)], far=True),
        '<path d="M78 72Q100 66 122 72L116 116H84Z" stroke-width="5"/>',
        line([(100, 74), (100, 112)], width=3),
        *neck_head((100, 70), -90, None),
    ]

    def pose(gap: float, elbow_in: float) -> list[str]:
        blades = [line([(100 - gap, 80), (100 - gap - 8, 84), (100 - gap, 98)], hl=True, width=5),
                  line([(100 + gap, 80), (100 + gap + 8, 84), (100 + gap, 98)], hl=True, width=5)]
        arms = [line([(78, 74), (72 + elbow_in, 98), (80 + elbow_in, 92)]),
                line([(122, 74), (128 - elbow_in, 98), (120 - elbow_in, 92)])]
        return [*blades, *arms]

    start = pose(12, 0)
    end = [*pose(5, 3), arrow([(60, 88), (76, 88)], 7), arrow([(140, 88), (124, 88)], 7)]
    return Drawing(still, start, end, "15 22 170 136")


# On hands and knees, side view facing right: knees under the hips, hands under the
# shoulders.
KNEE: Point = (66, FLOOR - 4)
FOUR_HIP: Point = (66, FLOOR - 4 - THIGH)
FOUR_SHOULDER: Point = (110, FLOOR - 4 - UPPER_ARM - FOREARM)
PARTS["p-kneel"] = line([FOUR_HIP, KNEE, (KNEE[0] - SHIN, KNEE[1]), (KNEE[0] - SHIN - FOOT, KNEE[1])])


def bent_back(h: Point, s: Point, bulge: float, hl: bool = True) -> str:
    """The whole back as one curve, bulging up (positive) or sagging (negative)."""
    m = mid(h, s)
    return curve(h, (m[0], m[1] - 2 * bulge), s, hl=hl, width=TRUNK_W)


def cat_cow() -> Drawing:
    h, s = FOUR_HIP, FOUR_SHOULDER
    arms = line([s, (s[0], FLOOR - 4)])
    cat = [bent_back(h, s, 16), arms, *neck_head(s, 70, 110)]
    cow = [bent_back(h, s, -9), arms, *neck_head(s, -25, -10)]
    m = mid(h, s)
    cat.append(arrow([(m[0], m[1] - 24), (m[0], m[1] - 44)], 7))
    cow.append(arrow([(m[0], m[1] - 34), (m[0], m[1] - 14)], 7))
    return Drawing([use("p-floor"), use("p-kneel")], cat, cow, "8 44 140 112")


def childs_pose() -> Drawing:
    h, s = FOUR_HIP, FOUR_SHOULDER
    shin = line([KNEE, (KNEE[0] - SHIN, KNEE[1]), (KNEE[0] - SHIN - FOOT, KNEE[1])])
    start = [line([h, KNEE]), bent_back(h, s, 0), line([s, (s[0], FLOOR - 4)]), *neck_head(s, 25, 55)]
    # Bottom back towards the heels, chest over the knees, forehead down, arms forward.
    hip2 = at(KNEE, -150, THIGH)
    s2 = at(hip2, -3, LUMBAR + THORACIC)
    end = [line([hip2, KNEE]), bent_back(hip2, s2, 5),
           line(two_bone(s2, (s2[0] + 38, FLOOR - 4), UPPER_ARM, FOREARM, -1)), *neck_head(s2, 30, 75)]
    end.append(arrow([(78, 92), (50, 90), (38, 110)], 7))
    return Drawing([use("p-floor"), shin], start, end, "8 44 140 112")


def stand_and_walk() -> Drawing:
    still = [use("p-floor"), use("p-chair")]
    sp = Spine(SEAT_HIP, -90, -90)
    start = [leg(SEAT_HIP, 0, 90, 0, hl=True), *side_seated(sp, -90, 0, hand_on_thigh(sp.shoulder, 86), hl_upper=False)]
    hip = (144, FLOOR - 4 - THIGH - SHIN + 2)
    walk = Spine(hip, -86, -84)
    front = two_bone(hip, (160, FLOOR - 6), THIGH, SHIN, -1)
    back = two_bone(hip, (126, FLOOR - 6), THIGH, SHIN, -1)
    s = walk.shoulder
    end = [
        line([*back, at(back[-1], 0, FOOT)], hl=True, far=True),
        line(limb(s, 60, 100, UPPER_ARM, FOREARM), far=True),
        *walk.draw(),
        line([*front, at(front[-1], 0, FOOT)], hl=True),
        line(limb(s, 118, 75, UPPER_ARM, FOREARM)),
        *neck_head(s, -86, 0),
        arrow([(164, 78), (190, 78)], 7),
    ]
    return Drawing(still, start, end)


def doorway_chest_stretch() -> Drawing:
    post = 112
    # The door frame, seen edge-on from the side.
    still = [use("p-floor"), prop(f"M{post - 4} {FLOOR}V10H{post + 6}V{FLOOR}")]

    def person(hip: Point, lean: float, front_x: float, back_x: float) -> list[str]:
        sp = Spine(hip, -90 + lean, -90 + lean)
        s = sp.shoulder
        elbow = (post - 8, s[1] + 1)
        front = two_bone(hip, (front_x, FLOOR - 4), THIGH, SHIN, -1)
        back = two_bone(hip, (back_x, FLOOR - 4), THIGH, SHIN, -1)
        return [
            line([*back, at(back[-1], 0, FOOT)], far=True),
            *sp.draw(),
            line([*front, at(front[-1], 0, FOOT)]),
            line([s, elbow, (post - 8, s[1] - FOREARM)], hl=True),
            *neck_head(s, -90 + lean, 0),
        ]

    start = person((88, FLOOR - 4 - THIGH - SHIN), 0, 89, 87)
    end = person((116, FLOOR - 4 - THIGH - SHIN + 4), 6, 136, 96)
    end.append(arrow([(142, 46), (166, 46)], 7))
    return Drawing(still, start, end)


def fit(points: Iterable[Point], pad: float = 6) -> str:
    """The smallest 5:4 view box around the points, centred."""
    pts = list(points)
    x0, x1 = min(p[0] for p in pts) - pad, max(p[0] for p in pts) + pad
    y0, y1 = min(p[1] for p in pts) - pad, max(p[1] for p in pts) + pad
    w, h = x1 - x0, y1 - y0
    if w / h > 1.25:
        y0, h = y0 - (w / 1.25 - h) / 2, w / 1.25
    else:
        x0, w = x0 - (h * 1.25 - w) / 2, h * 1.25
    return f"{n(x0)} {n(y0)} {n(w)} {n(w / 1.25)}"


def mat(cam: Camera, x0: float, x1: float, z0: float, z1: float) -> str:
    """An exercise mat on the floor, in perspective."""
    corners = [cam((x0, 0, z0)), cam((x1, 0, z0)), cam((x1, 0, z1)), cam((x0, 0, z1))]
    return prop("M" + "L".join(f"{n(x)} {n(y)}" for x, y in corners) + "Z", 3)


def thread_the_needle() -> Drawing:
    # On hands and knees, seen from the front-left and a little above: the right arm
    # slides along the floor under the chest and out past the left hand, the right
    # shoulder and the head come down to the floor, and the hips stay up.
    cam = Camera(60, 22, (88, FLOOR - 30))
    arm = UPPER_ARM + FOREARM
    knee_z = 46
    hips = [(-12, THIGH, knee_z), (12, THIGH, knee_z)]
    still = [
        mat(cam, -45, 55, -30, 85),
        cam.line([hips[0], (-12, 0, knee_z), (-12, 0, knee_z + SHIN)], far=True),
        cam.line(hips, width=TRUNK_W),
        cam.line([hips[1], (12, 0, knee_z), (12, 0, knee_z + SHIN)]),
    ]

    def body(sr: Vec, sl: Vec, head_c: Vec, facing: Vec, r_arm: list[Vec], l_elbow: Vec, threaded: bool) -> list[str]:
        neck = ((sr[0] + sl[0]) / 2, (sr[1] + sl[1]) / 2, (sr[2] + sl[2]) / 2)
        moving = cam.line([sr, *r_arm], hl=True)
        # Behind the body at the start; drawn over the near arm once threaded, so it shows.
        return [
            *([] if threaded else [moving]),
            cam.line([(0, THIGH, knee_z), neck], width=TRUNK_W),
            cam.line([sr, sl]),
            cam.line([neck, head_c]),
            head(cam(head_c), face_dir(cam, head_c, facing)),
            cam.line([sl, l_elbow, (20, 0, 0)]),
            *([moving] if threaded else []),
        ]

    start = body((-20, arm, 0), (20, arm, 0), (0, arm - 6, -14), (0, -1, 0),
                 [(-20, arm / 2, 0), (-20, 0, 0)], (20, arm / 2, 0), False)
    end = body((-6, 12, 2), (20, 28, 0), (-22, HEAD_R, -4), (0, 0, -1),
               [(18, 2, 6), (44, 1, 8)], (30, 14, -4), True)
    end.append(arrow([cam((-10, 0, -22)), cam((40, 0, -22))], 7))
    corners = [cam((x, 0, z)) for x in (-45, 55) for z in (-30, 85)]
    return Drawing(still, start, end, fit([*corners, cam((0, arm + 6, 0))]))


def open_book() -> Drawing:
    # Lying on the left side on a mat, seen from the front and above: the arms lie
    # together like the pages of a closed book, then the top one opens up and over to
    # the floor behind.
    cam = Camera(-20, 42, (104, 112))
    sh: Vec = (-30, 16, 0)
    hip: Vec = (14, 16, 0)
    knee: Vec = (14, 12, -THIGH)
    reach = UPPER_ARM + FOREARM
    head_c: Vec = (-30 - NECK - HEAD_R, 12, 0)
    corners = [(-70, -48), (50, -48), (50, 48), (-70, 48)]
    still = [
        mat(cam, -70, 50, -48, 48),
        prop("M" + "L".join(f"{n(x)} {n(y)}" for x, y in [cam((-50, 0, -12)), cam((-50, 0, 12))]), 9),
        cam.line([hip, knee, (14 + SHIN, 10, -THIGH)]),
        cam.line([hip, sh], width=TRUNK_W),
        cam.line([sh, (-30, 6, -reach)]),
    ]
    start = [cam.line([sh, (-30, 13, -reach)], hl=True), cam.line([sh, head_c]),
             head(cam(head_c), face_dir(cam, head_c, (0, 0, -1)))]
    end = [cam.line([sh, (-30, 4, reach)], hl=True), cam.line([sh, head_c]),
           head(cam(head_c), face_dir(cam, head_c, (0, 0.7, 0.7)))]
    arc = [cam((-30, 16 + 46 * math.sin(math.radians(a)), -46 * math.cos(math.radians(a)))) for a in (25, 90, 155)]
    end.append(arrow(quad_through(*arc), 7))
    return Drawing(still, start, end, fit([cam((x, 0, z)) for x, z in corners] + arc))


DRAWINGS: dict[str, Callable[[], Drawing]] = {
    "seated-extension": seated_extension,
    "seated-flexion": seated_flexion,
    "seated-rotation": seated_rotation,
    "cat-cow": cat_cow,
    "thread-the-needle": thread_the_needle,
    "open-book": open_book,
    "doorway-chest-stretch": doorway_chest_stretch,
    "childs-pose": childs_pose,
    "shoulder-blade-squeeze": shoulder_blade_squeeze,
    "chin-tuck": chin_tuck,
    "seated-side-bend": seated_side_bend,
    "slow-belly-breathing": slow_belly_breathing,
    "progressive-relaxation": progressive_relaxation,
    "stand-and-walk": stand_and_walk,
}


def parts_svg() -> str:
    body = "".join(f'<g id="{k}">{v}</g>' for k, v in PARTS.items())
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 160" {ROOT_ATTRS} '
            f'{PREVIEW_ATTRS}>\n<defs>{body}</defs>\n</svg>\n')


def render() -> dict[str, str]:
    files = {"parts.svg": parts_svg()}
    for name, draw in DRAWINGS.items():
        files[f"{name}.svg"] = draw().svg()
    return files


def main() -> None:
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(text)} bytes")


if __name__ == "__main__":
    main()
