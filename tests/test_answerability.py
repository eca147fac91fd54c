"""Answerability on the seeds: questions the documents do not answer are declined, context never leaks from
one subject to another, a follow-up with nothing to refer to is asked back, furniture is never the answer."""

from __future__ import annotations

import pytest

from bot.answerability import Evidence, name_gaps, question_names
from bot.conversations import ConversationStore, Subject, read
from bot.errors import ConversationNotFound
from tests.conftest import bot_over

# Twelve questions a new user asked after finding no answer in the seeds. Each is declined, except where the
# seeds do answer it; the test says which.
DECLINED = [
    "How many soldiers were killed in Timbuktu in 2023?",
    "What is the population of Bamako?",
    "How many soldiers were killed at Menaka?",
    "Who is the president of Mali?",
    "What weapons did Wagner use at Moura?",
    "How many civilians were killed at Mondoro?",
    "What is the weather in Kati?",
    "How many drones were used at Dioura?",
]


@pytest.mark.parametrize("question", DECLINED)
def test_questions_the_seeds_do_not_answer_are_declined(bot, question):
    ans = bot.ask(question)
    assert ans.mode == "none", (question, ans.answer, ans.confidence)
    assert ans.confidence < bot.threshold


def test_french_soldiers_at_kwala_are_not_given_the_malian_toll(bot):
    """The Kwala page gives Malian losses only: the answer says there is no figure for French soldiers."""
    ans = bot.ask("How many French soldiers died at Kwala?")
    assert ans.mode == "none" or "no figure for French" in ans.answer, ans.answer
    assert "no figure for French" in ans.answer


def test_what_the_un_said_about_sokolo_is_answered_from_the_text(bot):
    """The Sokolo page does say it: 'The UN reported that 53 civilians were killed ...' (not a reference entry)."""
    ans = bot.ask("What did the UN say about Sokolo?")
    assert ans.mode == "passage" and "The UN reported" in ans.passages[0].quote, ans.answer


def test_when_jnim_was_founded_is_declined_or_quoted(bot):
    """The seeds only imply it ('the first by JNIM since its inception that month', March 2017)."""
    ans = bot.ask("When was JNIM founded?")
    assert ans.mode == "none" or any("inception" in p.quote for p in ans.passages[:1]), ans.answer


def test_who_led_the_attack_on_kati_is_declined_or_names_the_unit(bot):
    """The Kati page names the branch that carried it out (Katiba Macina), no leader."""
    ans = bot.ask("Who led the attack on Kati?")
    assert ans.mode == "none" or "Katiba Macina" in ans.answer, ans.answer


def test_a_new_subject_is_answered_on_its_own(bot):
    first = bot.ask("When did the raid on Dioura happen?")
    leaked = bot.ask("What is the population of Bamako?", conversation_id=first.conversation_id)
    fresh = bot.ask("What is the population of Bamako?")
    assert leaked.mode == fresh.mode == "none"
    assert all("Dioura" not in p.title for p in leaked.passages[:1]) or leaked.mode == "none"


def test_follow_ups_read_in_the_conversation_subject(bot):
    first = bot.ask("How many soldiers were killed at Sokolo?")
    follow = bot.ask("How many were wounded there?", conversation_id=first.conversation_id)
    assert "Sokolo" in follow.answer and follow.mode == "fact"


def test_a_follow_up_with_nothing_to_refer_to_is_asked_back(bot):
    ans = bot.ask("How many soldiers died there?")
    assert ans.mode == "none" and ans.answer.startswith("Which event do you mean?")


def test_unknown_conversations_are_refused(bot):
    with pytest.raises(ConversationNotFound):
        bot.ask("How many soldiers died there?", conversation_id="made-up-by-the-client")


def test_outside_threads_keep_their_own_namespace(bot):
    slack = bot.ask("When did the Sokolo attack happen?", conversation_id="C1:1700000000.1", namespace="slack")
    assert slack.conversation_id == "C1:1700000000.1"
    with pytest.raises(ConversationNotFound):
        bot.ask("How many soldiers died there?", conversation_id="C1:1700000000.1")


def test_conversations_persist_in_the_index_folder(tmp_path):
    store = ConversationStore(tmp_path / "state.sqlite", ttl_seconds=60, max_count=10)
    c = store.start()
    c.remember("When did it happen?", Subject("Sokolo attack", "003", ("Sokolo",), 2020))
    store.save(c)
    again = ConversationStore(tmp_path / "state.sqlite", ttl_seconds=60, max_count=10).get(c.id)
    assert again is not None and again.subject.name == "Sokolo attack"


def test_conversations_are_bounded(tmp_path):
    store = ConversationStore(tmp_path / "s.sqlite", ttl_seconds=60, max_count=3)
    ids = [store.start().id for _ in range(5)]
    assert store.count() == 3 and store.get(ids[0]) is None and store.get(ids[-1]) is not None
    big = store.start()
    big.remember("x" * 10_000, None)
    for _ in range(20):
        big.remember("🙂" * 1000, None)
    store.save(big)
    assert len(big.payload().encode()) <= 4096


def test_reading_a_question_in_context():
    subject = Subject("Sokolo attack")
    conv = type("C", (), {"subject": subject})()
    assert read("How many died there?", conv, names_own_subject=False).subject == subject
    assert read("What is the population of Bamako?", conv, names_own_subject=True).subject is None
    assert read("How many died there?", None, names_own_subject=False).clarify


def test_a_pronoun_or_there_inside_a_self_contained_question_is_no_follow_up():
    for own in ("What were early drivers looking to generate when they fastened the safety valves down?",
                "Scholars stated that there was already a settlement between the parties before which date?",
                "What was used to reconcile the troubles with electromagnetic theory as it used to stand?"):
        assert not read(own, None, names_own_subject=False).clarify, own
    for leaning in ("Were there any casualties?", "How many were killed when it started?", "What did they claim?",
                    "How many soldiers were there?"):
        assert read(leaning, None, names_own_subject=False).clarify, leaning


def test_furniture_is_never_the_answer(bot):
    snap = bot.snapshot()
    for question in ("What did Some Paper report about the attack?", "Retrieved from where?",
                     "What did the UN say about Sokolo?", "Who is Ba Ag Moussa?"):
        ans = bot.ask(question)
        if ans.mode == "passage":
            top = ans.passages[0]
            kinds = {c.kind for c in snap.chunks_of(top.doc_id) if c.span.start <= top.start < c.span.end}
            assert not kinds & {"reference", "related"}, (question, top.quote)


def test_names_a_question_relies_on():
    assert question_names("How many French soldiers died at Kwala in 2024?") == ["French", "Kwala", "2024"]
    here, doc = name_gaps("How many French soldiers died at Kwala?", "Malian soldiers died at Kwala", "Kwala Malian")
    assert here == 0.5 and doc == 0.5
    assert Evidence(1.0, 0.5, 0.4, 0.0, 0.0).vector() == [1.0, 0.5, 0.4, 0.0, 0.0]


def test_a_figure_the_question_names_must_be_in_the_answer(tmp_path, bot):
    """"How deep was the magnitude 6.1 aftershock?" is not answered with the main shock's depth; the figure that
    names the event itself ("the 7.2 earthquake") picks it out."""
    text = ("2031 Karsholm earthquake\n\n- Magnitude: 7.2\n- Depth: 12.5 km\n- Deaths: 340\n\n"
            "The 2031 Karsholm earthquake struck the Karsholm valley on 4 May 2031 at a depth of 12.5 km, "
            "killing 340 people. A magnitude 6.1 aftershock followed two days later and damaged the "
            "harbour.\n")
    b = bot_over(tmp_path, bot, {"quake.txt": text})
    known = b.ask("How deep was the 7.2 earthquake at Karsholm?")
    assert known.mode == "fact" and "12.5" in known.answer, known.answer
    unknown = b.ask("How deep was the magnitude 6.1 aftershock of the Karsholm earthquake?")
    assert not (unknown.mode == "fact" and "12.5" in unknown.answer), unknown.answer


def test_a_name_the_lead_mentions_still_picks_its_own_figure(tmp_path, bot):
    """The lead names the winner, so "Tinubu" is no stranger to the event; the question asks for his votes all
    the same: his row of the results list, not the total that names no one."""
    text = ("2031 Karsholm presidential election\n\n"
            "The electoral commission declared Ada Velde of the Harbour Party the winner of the 2031 presidential "
            "election in Karsholm, held on 4 May 2031. Ten parties fielded candidates, and below is how they "
            "shared the 12.4 million valid votes in the election.\n\n"
            "1. Ada Velde (HP) – 5,102,330\n2. Jon Brakke (CU) – 4,877,120\n3. Lise Moen (GP) – 1,901,415\n"
            "4. Per Aasen (LP) – 519,004\n")
    b = bot_over(tmp_path, bot, {"vote.txt": text})
    for name, votes in (("Ada Velde", "5,102,330"), ("Jon Brakke", "4,877,120")):
        ans = b.ask(f"How many votes did {name} receive in the 2031 presidential election in Karsholm?")
        assert ans.mode == "fact" and votes in ans.answer and "12.4" not in ans.answer, ans.answer


def test_a_date_the_question_names_by_its_label(tmp_path, bot):
    """"When was the previous election?" is the infobox's 'Previous Year', not the event's own date; a page that
    mentions another country's 'General Election' is not what "the next general election" names."""
    b = bot_over(tmp_path, bot, {
        "vote.txt": "= 2031 Karsholm general election =\n\n- Election Date: 4 May 2031\n- Previous Year: 2026\n"
                    "- Next Year: 2036\n- Turnout: 61.2%\n\nThe 2031 Karsholm general election was held on 4 May 2031, "
                    "five years after the 2026 vote.\n",
        "other.txt": "= Brakkeland referendum, 2032 =\n\nThe Brakkeland referendum was held on 9 June 2032. Turnout was "
                     "higher than at the 2030 General Election in Brakkeland.\n"})
    previous = b.ask("When was the previous Karsholm general election?")
    assert previous.mode == "fact" and "2026" in previous.answer and "4 May" not in previous.answer, previous.answer
    following = b.ask("When is the next Karsholm general election?")
    assert following.mode == "fact" and "2036" in following.answer, following.answer
    own = b.ask("When was the 2031 Karsholm general election held?")
    assert own.mode == "fact" and "4 May 2031" in own.answer, own.answer


def test_every_figure_the_same_words_describe_is_given(tmp_path, bot):
    """The infobox's 'Injured: 12,867' and an early report's '160 individuals injured' are both injured figures:
    the answer gives both (with the claimant), not the one whose extra words sit closer to the question."""
    text = ("= 2031 Karsholm floods =\n\n- Date: June-August 2031\n- Deaths: 1,739\n- Injured: 12,867\n\n"
            "The 2031 Karsholm floods began in June 2031 after heavy monsoon rain. By 11 July, 160 individuals "
            "had been injured, according to the disaster management authority.\n")
    b = bot_over(tmp_path, bot, {"flood.txt": text})
    ans = b.ask("How many people were injured in the 2031 Karsholm floods?")
    assert ans.mode == "fact" and "12,867" in ans.answer and "160" in ans.answer, ans.answer


def test_a_share_for_a_name_even_misspelt(tmp_path, bot):
    """'50.49% for Velde, and 48.85% for Brakke': a share question names whose share; a name one letter off
    ('Brakka') still names the one event that has him."""
    text = ("Karsholm's Supreme Court upholds Ada Velde's election\n\nThe Supreme Court considered the petition "
            "of Jon Brakke, who claims his opponent won through fraud. On 15 August, the chairperson of the "
            "electoral commission announced the results of the vote: 50.49% for Velde, and 48.85% for Brakke.\n")
    b = bot_over(tmp_path, bot, {"court.txt": text})
    for name in ("Jon Brakke", "Jon Brakka"):
        ans = b.ask(f"What share of the vote was announced for {name}?")
        assert ans.mode == "fact" and "48.85%" in ans.answer and "50.49" not in ans.answer, (name, ans.answer)


def test_the_date_of_another_action_is_not_the_events_date(tmp_path, bot):
    """"When did the empty capsule return to Earth?" asks the date of a return the page does not date: never the
    abort's own date as a fact. "What was the highest altitude X reached?" asks X's figure, not which event of the
    collection has the highest."""
    b = bot_over(tmp_path, bot, {
        "abort.txt": "= 2031 Karsholm-7 launch abort =\n\n- Date: 11 October 2031\n\nThe Karsholm-7 launch abort happened "
                     "on 11 October 2031, two minutes after lift-off, when a booster separated badly; the crew landed "
                     "safely. The empty capsule was later returned to the factory for study.\n",
        "test.txt": "= 2030 Brakke balloon test =\n\n- Date: 2 May 2030\n\nThe 2030 Brakke balloon test reached a maximum "
                    "altitude of roughly 39 kilometers on 2 May 2030.\n"})
    own = b.ask("When did the Karsholm-7 launch abort happen?")
    assert own.mode == "fact" and "11 October 2031" in own.answer, own.answer
    other = b.ask("When did the empty Karsholm-7 capsule return to Earth?")
    assert not (other.mode == "fact" and "11 October" in other.answer), other.answer
    highest = b.ask("What was the highest altitude the Karsholm-7 capsule reached?")
    assert not (highest.mode == "fact" and "39" in highest.answer), highest.answer


def test_how_fast_is_answered_by_a_speed(tmp_path, bot):
    """"How fast was the passenger train travelling?" is not answered by the 342 passengers it carried."""
    text = ("= 2031 Karsholm train collision =\n\n- Passengers: 342\n- Date: 28 February 2031\n\nThe 2031 Karsholm "
            "train collision happened when the passenger train met a freight train head-on.\n")
    b = bot_over(tmp_path, bot, {"crash.txt": text})
    fast = b.ask("How fast was the passenger train travelling in the 2031 Karsholm train collision?")
    assert not (fast.mode == "fact" and "342" in fast.answer), fast.answer


def test_a_how_many_question_is_not_answered_by_a_passage_without_a_figure(tmp_path, bot):
    text = ("= 2031 Karsholm bus crash =\n\nA double-decker bus overturned in Karsholm on 10 February 2031. The bus "
            "was carrying a lot of passengers when it overturned on the hill road, witnesses said. Detectives "
            "said the driver may have been speeding down the slope.\n")
    b = bot_over(tmp_path, bot, {"bus.txt": text})
    ans = b.ask("How many passengers were on the bus that crashed in Karsholm in 2031?")
    assert ans.mode == "none", ans.answer


def test_how_much_names_what_it_measures(tmp_path, bot):
    """"How much is the reconstruction expected to cost?" is not answered by the damage figure: the amount must be
    of what the question names; "How much damage did it cause?" is."""
    text = ("= 2031 Hurricane Brakke =\n\nHurricane Brakke struck the Karsholm coast on 28 September 2031. It caused "
            "$112.9 billion in damage, according to a report released by the hurricane center.\n")
    b = bot_over(tmp_path, bot, {"storm.txt": text})
    damage = b.ask("How much damage did Hurricane Brakke cause?")
    assert damage.mode == "fact" and "112.9" in damage.answer, damage.answer
    rebuild = b.ask("How much is the reconstruction after Hurricane Brakke expected to cost?")
    assert not (rebuild.mode == "fact" and rebuild.confidence > 0), rebuild.answer
