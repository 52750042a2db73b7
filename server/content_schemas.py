"""Marshmallow schemas for every file in content/ (one schema per shape).

Unknown keys are errors: a typo in a content file should stop start-up rather than
silently drop a caution or a step.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Must be a lowercase slug (a-z, 0-9, -).")
CATEGORY_IDS = ("muscular-postural", "skeletal-neurological", "lifestyle-less-common")
# The directions an exercise moves the spine into. Safety rules (safety.yaml) name one of
# these, so a caution follows the movement rather than a hand-kept list of exercises.
MOVEMENTS = ("flexion", "extension", "rotation", "side-bend")
# How a reminder type is scheduled, and what each kind may offer.
SCHEDULES = ("interval", "daily")
INTERVAL_ACTIONS = ("start", "snooze", "done", "drank")
DAILY_ACTIONS = ("checkin", "snooze", "skip")
INTERVAL_DEFAULT_ACTIONS = ("start", "snooze", "done")
DAILY_DEFAULT_ACTIONS = ("checkin", "snooze", "skip")
TIME_OF_DAY = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z",
                              error="Must be a time of day as HH:MM (00:00 to 23:59).")
LOCAL_PATH = validate.Regexp(r"^/[a-z0-9/-]*(#[a-z0-9-]+)?\Z", error="Must be a path of this app, such as /progress.")


def _text(**kwargs) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=2000), **kwargs)


def _texts(min_items: int = 1) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=2000)),
        required=True,
        validate=validate.Length(min=min_items),
    )


def _ids(min_items: int = 0) -> fields.List:
    return fields.List(fields.String(validate=SLUG), required=True, validate=validate.Length(min=min_items))


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SourceSchema(_Strict):
    id = fields.String(required=True, validate=SLUG)
    title = _text()
    publisher = _text()
    url = fields.Url(load_default=None, allow_none=True, schemes={"https", "http"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=500))
    # True when nobody on the project has checked the wording (or found the address):
    # shown to the reader, never hidden.
    unverified = fields.Boolean(load_default=False)


class SourcesFileSchema(_Strict):
    sources = fields.List(fields.Nested(SourceSchema), required=True, validate=validate.Length(min=1))


class CategorySchema(_Strict):
    id = fields.String(required=True, validate=validate.OneOf(CATEGORY_IDS))
    title = _text()
    short_title = fields.String(required=True, validate=validate.Length(min=1, max=24))
    summary = _text()
    body = _texts()
    check_first = fields.Boolean(required=True)
    sources = _ids(1)


class CategoriesFileSchema(_Strict):
    categories = fields.List(
        fields.Nested(CategorySchema), required=True, validate=validate.Length(min=1)
    )


class CauseSchema(_Strict):
    id = fields.String(required=True, validate=SLUG)
    category = fields.String(required=True, validate=SLUG)
    title = _text()
    short_title = fields.String(required=True, validate=validate.Length(min=1, max=28))
    check_first = fields.Boolean(required=True)
    what_it_is = _text()
    how_it_feels = _text()
    what_helps = _texts()
    what_to_avoid = _texts()
    when_to_get_checked = _texts()
    exercises = _ids()
    routines = _ids()
    reminders = _ids()
    sources = _ids(1)


class CausesFileSchema(_Strict):
    causes = fields.List(fields.Nested(CauseSchema), required=True, validate=validate.Length(min=1))


class ExerciseSchema(_Strict):
    id = fields.String(required=True, validate=SLUG)
    title = _text()
    summary = _text()
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("stretch", "mobility", "strength", "breathing", "relaxation")),
    )
    position = fields.String(required=True, validate=validate.OneOf(("seated", "standing", "floor")))
    difficulty = fields.String(required=True, validate=validate.OneOf(("gentle", "moderate")))
    categories = _ids(1)
    desk_friendly = fields.Boolean(required=True)
    steps = fields.List(
        fields.String(validate=validate.Length(min=1, max=400)),
        required=True,
        validate=validate.Length(min=2, max=8),
    )
    hold_seconds = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=300))
    reps = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=50))
    sides = fields.Integer(required=True, strict=True, validate=validate.OneOf((1, 2)))
    duration_seconds = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=10, max=1200)
    )
    movements = fields.List(
        fields.String(validate=validate.OneOf(MOVEMENTS)), required=True
    )
    cautions = _texts()
    illustration = fields.String(
        required=True, validate=validate.Regexp(r"^[a-z0-9-]+\.svg$", error="Must be a .svg file name.")
    )
    illustration_alt = _text()
    # What the two poses show, under each picture; most moves are a start and an end.
    illustration_labels = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)),
        load_default=lambda: ["Start", "End"],
        validate=validate.Length(equal=2),
    )
    sources = _ids(1)


class ExercisesFileSchema(_Strict):
    exercises = fields.List(
        fields.Nested(ExerciseSchema), required=True, validate=validate.Length(min=1)
    )


class RoutineStepSchema(_Strict):
    exercise = fields.String(required=True, validate=SLUG)
    seconds = fields.Integer(required=True, strict=True, validate=validate.Range(min=5, max=600))
    cue = fields.String(required=True, validate=validate.Length(min=1, max=160))


class RoutineSchema(_Strict):
    id = fields.String(required=True, validate=SLUG)
    title = _text()
    summary = _text()
    categories = _ids(1)
    gentle = fields.Boolean(required=True)
    steps = fields.List(
        fields.Nested(RoutineStepSchema), required=True, validate=validate.Length(min=1, max=40)
    )


class RoutinesFileSchema(_Strict):
    routines = fields.List(fields.Nested(RoutineSchema), required=True, validate=validate.Length(min=1))


class SourcedTextSchema(_Strict):
    """One clinical statement and the sources behind it."""

    id = fields.String(required=True, validate=SLUG)
    text = _text()
    sources = _ids(1)


class TargetWarningSchema(_Strict):
    above = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=20))
    text = _text()
    sources = _ids(1)

    @validates_schema
    def _text_names_the_number(self, data, **kwargs):
        # The words say the number ("more than 8 ..."): they must agree with `above`.
        if str(data["above"]) not in data["text"]:
            raise ValidationError(f"Must mention the number {data['above']} (above).", "text")


class ReminderSchema(_Strict):
    id = fields.String(required=True, validate=SLUG)
    title = _text()
    # "interval": every so often inside the plan's active hours, opening `routine`;
    # "daily": once a day at a time the person picks (default_time), opening `opens`.
    schedule = fields.String(load_default="interval", validate=validate.OneOf(SCHEDULES))
    category = fields.String(load_default=None, allow_none=True, validate=SLUG)
    causes = fields.List(fields.String(validate=SLUG), load_default=list)
    message = fields.String(required=True, validate=validate.Length(min=1, max=120))
    routine = fields.String(load_default=None, allow_none=True, validate=SLUG)
    default_interval_minutes = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=15, max=240)
    )
    default_time = fields.String(load_default=None, allow_none=True, validate=TIME_OF_DAY)
    # A page of this app, e.g. "/progress#checkin".
    opens = fields.String(load_default=None, allow_none=True, validate=LOCAL_PATH)
    # What the reminder offers (notification buttons and the in-app banner): "start"
    # opens `routine`, "drank" counts a glass toward daily_target; a daily reminder's
    # "checkin" opens `opens` and "skip" says "not today".
    actions = fields.List(
        fields.String(validate=validate.OneOf(INTERVAL_ACTIONS + DAILY_ACTIONS)),
        load_default=None,
        validate=validate.Length(min=1, max=3),
    )
    daily_target = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=20)
    )
    # Shown next to the reminder's switch (and, with a daily target, next to the tracker).
    warnings = fields.List(fields.Nested(SourcedTextSchema), load_default=list)
    target_warning = fields.Nested(TargetWarningSchema, load_default=None, allow_none=True)
    tips = _texts()
    sources = _ids(1)

    @validates_schema
    def _fits_its_schedule(self, data, **kwargs):
        daily = data.get("schedule") == "daily"
        needed = ("default_time", "opens") if daily else ("category", "routine", "default_interval_minutes")
        unwanted = ("routine", "default_interval_minutes", "daily_target") if daily else ("default_time", "opens")
        problems = {}
        for name in needed:
            if data.get(name) is None:
                problems[name] = [f"Required for a reminder with schedule {data.get('schedule')!r}."]
        for name in unwanted:
            if data.get(name) is not None:
                problems[name] = [f"Not used by a reminder with schedule {data.get('schedule')!r}."]
        if not daily and not data.get("causes"):
            problems["causes"] = ["Shorter than minimum length 1."]
        allowed = DAILY_ACTIONS if daily else INTERVAL_ACTIONS
        wrong = [a for a in data.get("actions") or () if a not in allowed]
        if wrong:
            problems["actions"] = [f"{', '.join(wrong)}: not for a reminder with schedule {data.get('schedule')!r}."]
        if problems:
            raise ValidationError(problems)

    @post_load
    def _default_actions(self, data, **kwargs):
        if data.get("actions") is None:
            daily = data.get("schedule") == "daily"
            data["actions"] = list(DAILY_DEFAULT_ACTIONS if daily else INTERVAL_DEFAULT_ACTIONS)
        return data

    @validates_schema
    def _actions_fit(self, data, **kwargs):
        actions = data.get("actions") or []
        if len(set(actions)) != len(actions):
            raise ValidationError("Each action at most once.", "actions")
        if "drank" in actions and data.get("daily_target") is None:
            raise ValidationError('"drank" needs a daily_target to count toward.', "actions")

    @validates_schema
    def _target_has_a_warning(self, data, **kwargs):
        # A count people can raise needs to say when the number stops being sensible,
        # and the default must be a sensible one.
        target, warning = data.get("daily_target"), data.get("target_warning")
        if target is None:
            return
        if warning is None:
            raise ValidationError("Required when daily_target is set.", "target_warning")
        if target > warning["above"]:
            raise ValidationError(
                f"daily_target {target} is above target_warning.above {warning['above']}.",
                "daily_target",
            )


class RemindersFileSchema(_Strict):
    reminders = fields.List(
        fields.Nested(ReminderSchema), required=True, validate=validate.Length(min=1)
    )


class PlanChoiceSchema(_Strict):
    id = fields.String(required=True, validate=SLUG)
    label = fields.String(required=True, validate=validate.Length(min=1, max=120))
    causes = _ids()
    routines = _ids()
    reminders = _ids()
    check_first = fields.Boolean(required=True)


class PlanFileSchema(_Strict):
    choices = fields.List(
        fields.Nested(PlanChoiceSchema), required=True, validate=validate.Length(min=1)
    )


class ClinicalReviewSchema(_Strict):
    reviewer = _text()
    role = _text()
    date = fields.Date(required=True)
    next_review = fields.Date(required=True)

    @validates_schema
    def _review_order(self, data, **kwargs):
        if data["next_review"] <= data["date"]:
            raise ValidationError("Must be after date.", "next_review")


class SiteSchema(_Strict):
    name = _text()
    short_name = fields.String(required=True, validate=validate.Length(min=1, max=12))
    description = _text()
    disclaimer = _texts()
    emergency = _text()
    # Set only once a named clinician has reviewed the content. Until then the About page
    # says it was drafted from its sources and not yet reviewed: no review date is shown.
    clinical_review = fields.Nested(ClinicalReviewSchema, load_default=None, allow_none=True)


class SiteFileSchema(_Strict):
    site = fields.Nested(SiteSchema, required=True)


class GeneralCautionSchema(_Strict):
    title = fields.String(required=True, validate=validate.Length(min=1, max=80))
    text = _text()
    sources = _ids(1)


class MovementCautionSchema(_Strict):
    """A condition for which one spinal movement needs care (safety.yaml)."""

    id = fields.String(required=True, validate=SLUG)
    movement = fields.String(required=True, validate=validate.OneOf(MOVEMENTS))
    # Every exercise moving this way carries a caution containing this word, and cites
    # at least one of `sources`.
    caution_mentions = fields.String(required=True, validate=validate.Length(min=3, max=40))
    sources = _ids(1)
    # Causes whose routines, moves and plan choices leave this movement out altogether.
    leave_out_for_causes = fields.List(fields.String(validate=SLUG), load_default=list)


class SafetyFileSchema(_Strict):
    general_caution = fields.Nested(GeneralCautionSchema, required=True)
    movement_cautions = fields.List(
        fields.Nested(MovementCautionSchema), required=True, validate=validate.Length(min=1)
    )


# --- progress.yaml: the diary's rules (client/static/js/progress-rules.js evaluates them)

_POINTS = validate.Range(min=0, max=10)
_FRACTION = validate.Range(min=0, max=1, min_inclusive=False)


class TrendSchema(_Strict):
    min_days_per_week = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=7))
    improvement_points = fields.Float(required=True, validate=_POINTS)
    improvement_fraction = fields.Float(required=True, validate=_FRACTION)
    worse_points = fields.Float(required=True, validate=_POINTS)
    worse_fraction = fields.Float(required=True, validate=_FRACTION)
    not_improving_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=7, max=90))
    not_improving_min_pain = fields.Float(required=True, validate=_POINTS)
    recent_check_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=30))
    sources = _ids(1)


class InsightsSchema(_Strict):
    min_checkin_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=7, max=365))
    min_days_each_side = fields.Integer(required=True, strict=True, validate=validate.Range(min=3, max=100))
    min_difference = fields.Float(required=True, validate=validate.Range(min=0.5, max=10))
    break_threshold = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=20))
    break_types = _ids(1)


class AdaptationWhenSchema(_Strict):
    """Exactly one condition: a pain or stress level reached today, or steady improvement."""

    pain_at_least = fields.Integer(strict=True, validate=validate.Range(min=1, max=10))
    stress_at_least = fields.Integer(strict=True, validate=validate.Range(min=1, max=10))
    improving = fields.Boolean(validate=validate.Equal(True))

    @validates_schema
    def _one_condition(self, data, **kwargs):
        if len(data) != 1:
            raise ValidationError("Give exactly one of pain_at_least, stress_at_least, improving.")


class HoldsSchema(_Strict):
    """Shorter holds in the player while an adaptation applies."""

    fraction = fields.Float(required=True, validate=validate.Range(min=0.2, max=1, max_inclusive=False))
    min_seconds = fields.Integer(required=True, strict=True, validate=validate.Range(min=5, max=60))
    kinds = fields.List(
        fields.String(validate=validate.OneOf(("stretch", "mobility", "strength", "breathing", "relaxation"))),
        required=True, validate=validate.Length(min=1),
    )


class AdaptationSchema(_Strict):
    id = fields.String(required=True, validate=validate.OneOf(("high-pain", "improving", "high-stress")))
    when = fields.Nested(AdaptationWhenSchema, required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=80))
    text = _text()
    routines = _ids(1)
    holds = fields.Nested(HoldsSchema, load_default=None, allow_none=True)
    sources = _ids(1)


class ProgressFileSchema(_Strict):
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    trend = fields.Nested(TrendSchema, required=True)
    insights = fields.Nested(InsightsSchema, required=True)
    adaptations = fields.List(fields.Nested(AdaptationSchema), required=True, validate=validate.Length(min=1))
