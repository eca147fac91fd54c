"""The conflict pack: attacks, raids and battles. Casualties per side and kind, strength, commanders."""

from __future__ import annotations

from bot.facts.domains import Domain, FieldSpec, Group

CONFLICT = Domain(
    name="conflict",
    detect=(r"attacks?|attacked|raids?|raided|ambush(?:ed)?|battle|siege|assault|offensive|massacre",
            r"belligerents|combatants?|commanders and leaders|casualties and losses|jihadists?|militants?|insurgents?|"
            r"soldiers|troops|army|rebels|gunmen|fighters"),
    fields=(
        FieldSpec("wounded or missing", r"wounded or missing|injured or missing", label="wounded or missing"),
        FieldSpec("killed",
                  r"killed|killing|kills?|dead|died|die|deaths?|death toll|toll|lost|losing|loss|fatalities|perished|"
                  r"executed|slain",
                  question=r"killed|kill|died|die|dead|deaths?|death toll|toll|casualt\w*|lost|lose|losses|fatalities|deadliest"),
        FieldSpec("wounded", r"wounded|injured|injuring|wounding|injuries|hurt",
                  question=r"wounded|injured|injuries|hurt"),
        FieldSpec("missing", r"missing|disappeared|unaccounted", question=r"missing"),
        FieldSpec("prisoners", r"prisoners?(?: of war)?|POWs?", label="taken prisoner",
                  question=r"prisoners?|taken prisoner"),
        FieldSpec("captured", r"captured|capture|capturing|taken prisoner|abducted|kidnapped|seized",
                  question=r"captured|abducted|kidnapped"),
        FieldSpec("arrested", r"arrested|detained|arrests", question=r"arrested|detained|arrests"),
        FieldSpec("strength",
                  r"staffed with|held by|manned by|defended by|garrisoned by|stationed|stormed|raided|launched|"
                  r"carried out by|attacked by|numbering|comprising|consisting of|strong|(?:convoy|column|force|"
                  r"contingent|company|unit|garrison|detachment|patrol) of",
                  label="strong", kind="size",
                  question=r"strength|how many (?:\w+\s){0,3}(?:attacked|took part|participated|were there|were stationed|"
                           r"stationed|defended|were involved|raided|stormed|launched|held)|how (?:large|big|strong)|"
                           r"staffed|garrison"),
    ),
    groups=(
        Group("soldiers", r"soldiers?|troops?|servicemen|gendarmes?|personnel|peacekeepers?|officers?|policemen|police|"
                          r"guards?|recruits|conscripts|army|military|forces|legionnaires|marines",
              "soldiers", question=r"soldiers?|troops?|army|servicemen|gendarmes?|military|forces|peacekeepers?"),
        Group("militants", r"jihadists?|fighters?|militants?|insurgents?|assailants?|attackers?|rebels?|terrorists?|"
                           r"gunmen|extremists?|combatants?|islamists?|mujahideen",
              "attackers", question=r"jihadists?|fighters?|militants?|insurgents?|assailants?|attackers?|rebels?|"
                                    r"terrorists?|gunmen"),
        Group("civilians", r"civilians?|villagers?|residents?|inhabitants|children|women|worshippers|passengers",
              "civilians", question=r"civilians?|villagers|residents"),
        Group("unspecified", r"people|persons|individuals|men|bodies", "side not stated"),
    ),
    default_group="soldiers",
    unknown_group="unspecified",
    per_side_fields=("commander", "side", "strength"),
    casualty_label="casualties",
    casualty_order=("killed", "wounded", "missing", "captured", "prisoners", "wounded or missing"),
    infobox_labels={
        "combatant": "side", "combatants": "side", "belligerent": "side", "belligerents": "side", "side": "side",
        "perpetrator": "side", "perpetrators": "side",
        "commander": "commander", "commanders": "commander", "commanders and leaders": "commander",
        "leader": "commander", "leaders": "commander",
        "strength": "strength", "units": "units", "units involved": "units",
        "casualties": "casualties", "casualties and losses": "casualties", "casualty": "casualties",
        "deaths": "casualties", "fatalities": "casualties", "injured": "casualties", "wounded": "casualties",
        "result": "result", "outcome": "result", "status": "result", "territorial changes": "result",
        "conflict": "event", "partof": "part_of", "part of": "part_of", "target": "target",
        "attack type": "attack type", "weapons": "weapons", "victims": "casualties", "motive": "motive",
    },
    side_label="side",
    second_side=r"jihad|islam|qaeda|front|movement|group|militia|brigade|katiba|ansar|rebel|state in|liberation|"
                r"coalition|jnim|isgs|boko|shabaab|insurgen",
    second_group="militants",
    first_group="soldiers",
    event_nouns=r"attack|attacks|raid|battle|siege|ambush|massacre|offensive|bombing|assault|clash|clashes|killings|strike",
    place_cues=r"base|bases|camp|camps|garrison|post|outpost|town|village|city|barracks|positions?|forces|patrol",
    event_verbs=r"attacked|ambushed|stormed|raided|struck|overran",
    start_verbs=r"began|begun|started|stormed|launched|attacked|opened fire",
    end_verbs=r"ended|regained|recaptured|retook|retreated|withdrew|over by",
    strength_verbs=r"attacked|assaulted|ambushed|raided|stormed|launched|overran",
    leader_patterns=(
        r"\b(?:commanded|led)\s+by\s+(?P<name>(?:[A-Z][\w'’-]+\s?){2,5})",
        r"(?P<name>(?:[A-Z][\w'’-]+\s){1,4}[A-Z][\w'’-]+)\s+(?:led|commanded)\s+the\s+(?:raid|attack|assault|operation|offensive)",
    ),
    leader_attackers=r"\b(?:raid|attack|assault|operation|offensive)\b[^.]{0,20}\bled by|\bled the (?:raid|attack|assault|operation|offensive)",
    toll_words=r"\btoll\b",
    event_plural="attacks",
    skip_words=("wal", "al", "el", "de", "du", "la", "bin", "ibn", "ag", "ould"),
)
