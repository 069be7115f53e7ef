"""The demo network's words and files: synthetic, deterministic, different per district and item.

Every text starts with "[Synthetic demo text]" and every file says "SYNTHETIC DEMO DATA —
fictional district" in its content. Each text is drawn from a generator seeded with the
district, item and year, so a load gives the same words every time and no two districts read
alike.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from review.rubrics import Item, Rubric

MARK = "[Synthetic demo text]"
FILE_MARK = "SYNTHETIC DEMO DATA — fictional district"


@dataclass(frozen=True)
class Profile:
    """What makes a fictional district's story its own."""

    code: str
    name: str
    schools_word: str  # how its people speak of their schools
    team: str  # who carries the review work
    strength: str
    struggle: str


PROFILES = {
    "ALV": Profile(
        "ALV",
        "Alder Valley Unified",
        "its nine schools along the valley",
        "a two-person district office team",
        "principals meet every month and know each school's data by heart",
        "few staff to run parent meetings in every town",
    ),
    "BHU": Profile(
        "BHU",
        "Birch Harbor Unified",
        "its harbour-side and inland schools",
        "the assessment office with two principals on loan",
        "a long habit of school-site councils",
        "survey participation drops at the inland schools",
    ),
    "CPU": Profile(
        "CPU",
        "Cedar Plains Unified",
        "its plains and river-district schools",
        "the office of school quality",
        "Communities of Practice that keep their PDSA records",
        "pairing meetings that slip when principals change",
    ),
    "DCU": Profile(
        "DCU",
        "Dunmore City Unified",
        "its city-centre and east-side schools",
        "the research and accountability department",
        "a data team that turns results round within a week",
        "parents of English learners are hard to reach",
    ),
    "ECU": Profile(
        "ECU",
        "Elm Creek Unified",
        "its creek-side elementary and two high schools",
        "the deputy superintendent's improvement team",
        "reward-school principals who coach their paired schools",
        "improvement plans that stop at the district office",
    ),
    "FHU": Profile(
        "FHU",
        "Fairhaven Unified",
        "schools in its six regional offices",
        "a regional network of improvement facilitators",
        "a survey reaching most students in every region",
        "practices that differ from one region to the next",
    ),
}

_OPENINGS = (
    "This year {name} put {title} at the centre of the work of {team}.",
    "{name} approached {title} through {team}, working across {schools}.",
    "For {title}, {team} at {name} set out what each school would do and when.",
    "{name} treated {title} as a shared job: {team} planned it with the principals of {schools}.",
    "Building on last year's review, {name} revisited {title} with {team}.",
)
_MIDDLES = (
    "{count} sessions were held between September and May, and {share}% of schools took part.",
    "By spring {share}% of schools had a named lead, and the team logged {count} follow-ups.",
    "The team kept minutes of {count} meetings; {share}% of schools sent someone to each.",
    "{count} school teams reported their progress; {share}% did so on time.",
)
_HONEST = (
    "Our strength: {strength}. Our difficulty: {struggle}.",
    "What worked: {strength}. What did not yet: {struggle}.",
    "Going well: {strength}. Still hard: {struggle}.",
)
_CLOSINGS = (
    "The attached files show the records behind these figures.",
    "Each figure above comes from the files attached to this item.",
    "The evidence list names the record for each statement.",
)

_RATIONALES = (
    "Reading the narrative against the descriptors, we see level {level}: {descriptor}",
    "The files support level {level} rather than another: {descriptor}",
    "Level {level} fits best. {descriptor}",
    "We rated level {level} after checking each file against the descriptor: {descriptor}",
)
_OBSERVATIONS = (
    "The {file} shows what was done, school by school.",
    "We could trace {share}% of schools in the {file}.",
    "The {file} is clear, though it does not say who followed up.",
    "The {file} matches the narrative's figures.",
)
_SUGGESTIONS = (
    "Keep a one-page record for each school on {title}, dated and signed by its lead, so the "
    "next review reads it at a glance.",
    "For {title}, ask two schools that do it well to present their routine at a principals' "
    "meeting; {name} could then set one routine for all of {schools}.",
    "Add a short reflection after each activity on {title}: what changed for students, and "
    "what the school will try next.",
    "Report progress on {title} to the board twice a year, with the figures per school rather "
    "than one district total.",
    "One difficulty you name ({struggle}) shows in the files: plan {title} for those schools "
    "first and record who was reached.",
    "Invite a reviewer from our district to one session on {title}; a second pair of eyes "
    "would help {name} calibrate.",
    "Tie {title} to the index results: name the schools whose levels fell and say what each "
    "will do about them.",
    "Collect sign-in sheets and agendas for {title} in one folder per school, so evidence does "
    "not depend on one person.",
)


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


def _fill(template: str, profile: Profile, item: Item, rng: random.Random) -> str:
    return template.format(
        name=profile.name,
        team=profile.team,
        schools=profile.schools_word,
        strength=profile.strength,
        struggle=profile.struggle,
        title=item.title.lower(),
        count=rng.randint(3, 24),
        share=rng.randint(55, 100),
    )


def self_narrative(profile: Profile, item: Item, year: str) -> str:
    """A district's narrative for one item: different for every district, item and year."""
    rng = _rng("self", profile.code, item.id, year)
    parts = (
        rng.choice(_OPENINGS),
        rng.choice(_MIDDLES),
        rng.choice(_HONEST),
        rng.choice(_CLOSINGS),
    )
    body = " ".join(_fill(p, profile, item, rng) for p in parts)
    return f"{MARK} {year}: {body}"


def peer_rationale(
    reviewer: Profile,
    rated: Profile,
    item: Item,
    rubric: Rubric,
    level: int,
    year: str,
    files: tuple[str, ...],
) -> str:
    """A reviewer's rationale, citing one of the files the district attached (`files`)."""
    rng = _rng("rationale", reviewer.code, rated.code, item.id, year)
    descriptor = rubric.text(item.descriptors[level])
    head = rng.choice(_RATIONALES).format(level=level, descriptor=descriptor)
    file = rng.choice(files)
    observation = rng.choice(_OBSERVATIONS).format(file=file, share=rng.randint(40, 100))
    return f"{MARK} {reviewer.name} on {rated.name}: {head} {observation}"


def peer_suggestion(reviewer: Profile, rated: Profile, item: Item, year: str, n: int) -> str:
    """A reviewer's suggestion; the `n`-th reviewer of a district draws a different one."""
    picks = _rng("suggest", rated.code, item.id, year).sample(range(len(_SUGGESTIONS)), 2)
    text = _fill(_SUGGESTIONS[picks[n % 2]], rated, item, _rng(reviewer.code, item.id))
    return f"{MARK} {reviewer.name} to {rated.name}, {year} review: {text}"


def consensus_rationale(rated: Profile, item: Item, level: int, levels: list[int]) -> str:
    given = " and ".join(str(x) for x in sorted(levels))
    return (
        f"{MARK} The reviewers of {rated.name} gave {given} for {item.title.lower()}. After "
        f"discussing the files we agree on level {level}: the practice is in place, but not "
        "yet in every school."
    )


def choice_rationale(rated: Profile, item: Item, level: int) -> str:
    return (
        f"{MARK} Level {level} for {rated.name}'s {item.title.lower()}: the records cover most "
        "schools, and the other reviewer agreed once we compared the files."
    )


# --- evidence files ---------------------------------------------------------------------------

# Which items each generated file supports; items a rubric version does not have are skipped,
# and required items left over are linked to the notes file.
_MEETINGS_ITEMS = ("P2-STAKEHOLDER", "P2-REPORTS")
_SURVEY_ITEMS = ("P2-INDEX-DATA", "P2-MS-DATA", "P2-DATA-USE", "P2-PRINCIPAL-PD")
_NOTES_ITEMS = (
    "P2-PAIRING",
    "P2-PAIR-CROSS",
    "P2-PROBLEMS",
    "P2-PLAN",
    "P2-COLLABORATION",
    "P2-PAIR-MEETINGS",
    "P2-PROGRESS",
    "P2-COP",
    "P2-PDSA",
    "P2-FACILITATOR",
    "P2-FUNDS",
    "P2-PEER-FOLLOWUP",
)


_PROBLEMS = ("attendance", "reading in grade 3", "math placement", "suspensions")


@dataclass(frozen=True)
class DemoFile:
    name: str
    data: bytes
    description: str
    items: tuple[str, ...]


def evidence_files(profile: Profile, year: str, *, schools: int) -> list[DemoFile]:
    """Three small files of one district for one year: meetings, survey, improvement notes."""
    rng = _rng("files", profile.code, year)
    names = [f"{profile.name.split()[0]} School {n + 1}" for n in range(min(schools, 12))]
    prefix = f"{profile.code.lower()}-{year}"
    meetings = _csv(
        ["date", "school", "audience", "attendees"],
        [
            [
                f"{year[:4]}-{9 + n % 4:02d}-{1 + 7 * (n % 4):02d}",
                school,
                audience,
                rng.randint(8, 90),
            ]
            for n, school in enumerate(names)
            for audience in (rng.choice(("parents", "community members", "school council")),)
        ],
    )
    survey = _csv(
        ["school", "students_surveyed", "participation_pct", "percent_favourable"],
        [[s, rng.randint(120, 900), rng.randint(48, 97), rng.randint(51, 88)] for s in names],
    )
    notes = "\n".join(
        [
            FILE_MARK,
            f"{profile.name}: improvement notes, {year}",
            "",
            f"Team: {profile.team}.",
            f"Strength: {profile.strength}.",
            f"Difficulty: {profile.struggle}.",
            "",
            *(
                f"- {school}: paired for {rng.randint(2, 9)} meetings; problem of practice on "
                f"{rng.choice(_PROBLEMS)}; "
                f"PDSA cycle {rng.randint(1, 3)} of 3 completed."
                for school in names
            ),
            "",
        ]
    ).encode("utf-8")
    return [
        DemoFile(
            f"{prefix}-stakeholder-meetings.csv",
            meetings,
            f"{profile.name}: parent and community meetings on the index, {year}, by school",
            _MEETINGS_ITEMS,
        ),
        DemoFile(
            f"{prefix}-survey-participation.csv",
            survey,
            f"{profile.name}: culture-climate survey participation by school, {year}",
            _SURVEY_ITEMS,
        ),
        DemoFile(
            f"{prefix}-improvement-notes.txt",
            notes,
            f"{profile.name}: pairing, problems of practice and PDSA notes, {year}",
            _NOTES_ITEMS,
        ),
    ]


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*header, "data_label"])  # as the sample files mark every row
    writer.writerows([*row, FILE_MARK] for row in rows)
    return out.getvalue().encode("utf-8")
