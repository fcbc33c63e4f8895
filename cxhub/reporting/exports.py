"""The dashboard's figures as CSV: one row per figure or series point, each with what it counts and out of what."""

import csv
import io

from .selectors import ratio

CSV_HEADER = ["figure", "key", "numerator", "denominator", "value", "unit"]
# A cell starting with one of these is read as a formula by spreadsheets; reason texts come from people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _ratio_row(figure: str, key: str, fig: dict) -> list:
    return [figure, key, fig["numerator"], fig["denominator"], fig["rate"], "share"]


def metrics_rows(metrics: dict) -> list[list]:
    """Flatten `metrics_for_period` into rows; an undefined rate or mean is an empty value."""
    conversations = metrics["conversations"]
    total = conversations["total"]
    rows: list[list] = [["conversations", "total", total, "", total, "count"]]
    for channel in conversations["by_channel"]:
        rows.append(
            ["conversations_by_channel", channel["channel"], channel["count"], total, channel["count"], "count"]
        )
        for level, count in channel["levels"].items():
            rows.append(
                ["conversations_by_channel_level", f"{channel['channel']}/{level}", count, total, count, "count"]
            )
    for level in conversations["by_level"]:
        rows.append(["conversations_by_level", level["level"], level["count"], total, level["count"], "count"])

    rows.append(_ratio_row("ai_containment", "closed_without_a_person", metrics["containment"]))
    escalation = metrics["escalation"]
    rows.append(_ratio_row("escalation_rate", "conversations_escalated", escalation))
    for reason in escalation["reasons"]:
        key = reason["code"] or reason["label"]
        rows.append(["escalation_reason", key, reason["count"], escalation["escalations"], reason["count"], "count"])
    for signal in escalation["signals"]:
        rows.append(
            ["escalation_signal", signal["code"], signal["count"], escalation["escalations"], signal["count"], "count"]
        )

    waits = metrics["time_to_person"]
    rows.append(["time_to_person", "median", "", waits["count"], waits["median_seconds"], "seconds"])
    rows.append(["time_to_person", "p90_nearest_rank", "", waits["count"], waits["p90_seconds"], "seconds"])
    rows.append(["time_to_person", "handoffs_answered", waits["count"], waits["requested"], waits["count"], "count"])
    rows.append(_ratio_row("escalation_resolution", "escalated_closed_resolved", metrics["escalation_resolution"]))

    quality = metrics["handoff_quality"]
    rows.append(["handoff_quality", "mean", quality["sum"], quality["count"], quality["mean"], "score"])
    for score, count in quality["distribution"].items():
        rows.append(["handoff_quality_score", score, count, quality["count"], count, "count"])

    suggestions = metrics["suggestions"]
    for status in ("used", "edited", "ignored"):
        settled = suggestions["acceptance"]["denominator"]
        rows.append(["suggestions", status, suggestions[status], settled, suggestions[status], "count"])
    rows.append(_ratio_row("suggestion_acceptance", "used_or_edited", suggestions["acceptance"]))
    rows.append(_ratio_row("suggestion_edit", "edited_of_used", suggestions["edit"]))

    drafts = metrics["drafts"]
    rows.append(_ratio_row("draft_approval", "approved_or_edited", drafts["approval"]))

    for group in metrics["csat"]:
        rows.append(["csat_mean", group["handled_by"], group["sum"], group["count"], group["mean"], "score"])
        rows.append(_ratio_row("csat_satisfied", group["handled_by"], group["satisfied"]))

    levels = metrics["level_changes"]
    rows.append(_ratio_row("level_changes", "conversations_with_a_change", levels))
    rows.append(["level_changes", "up_towards_a_person", levels["up"], levels["changes"], levels["up"], "count"])
    rows.append(["level_changes", "down_towards_ai", levels["down"], levels["changes"], levels["down"], "count"])
    for pair in levels["pairs"]:
        key = f"{pair['from']}->{pair['to']}"
        rows.append(["level_change_pair", key, pair["count"], levels["changes"], pair["count"], "count"])

    rows.append(_ratio_row("ai_answers_flagged_wrong", "flagged_of_ai_answers", metrics["flagged_answers"]))
    for day in metrics["daily"]:
        rows.append(["daily_conversations", day["date"], day["conversations"], "", day["conversations"], "count"])
        rows.append(_ratio_row("daily_escalation_rate", day["date"], ratio(day["escalated"], day["conversations"])))
        rows.append(_ratio_row("daily_containment", day["date"], ratio(day["contained"], day["closed"])))
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def metrics_csv(metrics: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in metrics_rows(metrics):
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()
