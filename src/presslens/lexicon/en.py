"""English: the word lists of every rule of presslens (the ``Lexicon`` of ``"en"``).

Each list says what it is for and which module reads it. Words are lower case unless a rule
compares them as written (acronyms, the articles trimmed from a mention). Lists are written as
one string of words split on whitespace, so a list is easy to read and to extend.
"""

from __future__ import annotations

from collections.abc import Mapping

from presslens.document import ActorKind

CODE = "en"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- actors in one article (presslens.actors.article) -------------------------------------

# Words that make a name an organisation's, never a person's: a two-word "ORG" with one of
# them stays an organisation ("Guardian Council"), one without may be a person NER mislabelled.
ORG_WORDS = _words(
    """
    agency alliance army assembly association authority bank board bureau caucus center centre
    channel church club coalition college command commission committee company congress corps
    council court department embassy faction forces foundation front fund government group guard
    guards institute league media ministry movement network news office organisation organization
    parliament party police post press radio regime resistance senate service society tribune
    times tv union university
    """
)

# Honorifics and titles that stand before a name and are not part of it ("President Rouhani"
# is Rouhani). Abbreviations come with and without their full stop. Also the source of the
# role nouns of attribution (``presslens.attribution.resolve.TITLE_NOUNS``).
HONORIFICS = _words(
    """
    mr mr. mrs mrs. ms ms. miss dr dr. prof prof. sir dame lord lady sen sen. rep rep. gov gov.
    gen gen. col col. lt lt. sgt sgt. capt capt. president senator governor minister ayatollah
    sheikh imam judge justice secretary ambassador chancellor premier king queen prince princess
    pope cardinal bishop rev rev. father general
    """
)

# All-capital words that look like acronyms but name no organisation: pronouns, units, time
# zones, Roman numerals, job titles, file formats and the shouted words of headlines. Compared
# as written.
NOT_ACRONYMS = _words(
    """
    I A AM PM OK TV GMT UTC EST EDT PST BST CET ID II III IV VI VII VIII IX XI XII PDF DNA FAQ
    USD EUR GBP CEO CFO COO CTO MP MPS VIP PR PS NB AD BC HTML URL RSS LIVE NEWS UPDATE BREAKING
    VIDEO WATCH PHOTOS READ MORE NOT ALL NO YES THE AND OR OF AN TO IN ON AT BY IT IS
    """
)

# Acronyms that are countries: an untagged acronym among them is a place (GPE), not an
# organisation. Compared as written.
PLACE_ACRONYMS = _words("US USA UK UAE DPRK PRC ROK DRC U.S. U.K. U.S.A.")

# Common names of the same country, lower case, so that "U.S." and "United States" are one
# actor (also read by the corpus keys of places).
PLACE_ALIASES: Mapping[str, str] = {
    "us": "United States",
    "u.s.": "United States",
    "u.s": "United States",
    "usa": "United States",
    "u.s.a.": "United States",
    "america": "United States",
    "united states": "United States",
    "united states of america": "United States",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "united kingdom": "United Kingdom",
}

# Lemmas of verbs of saying, thinking and asking: a two-word "ORG" that is the subject of one
# ("Maryam Rajavi said") is a person. Wider than attribution's CORE_SPEECH_VERBS: a
# mislabelled name that "believes" or "calls" is still someone, though not always a quote.
SPEECH_VERBS = _words(
    """
    say tell state add claim warn stipulate argue insist announce declare note explain write
    report suggest accuse deny admit acknowledge confirm believe think allege assert maintain
    stress tweet respond reply urge ask call
    """
)

# Articles trimmed from the start of a mention ("the Pentagon"). Compared as written: "The"
# is trimmed, a capital "A" is left.
NAME_EDGE_ARTICLES: tuple[str, ...] = ("the", "The", "a", "an")

# Prefixes glued with a hyphen to a capitalised name and trimmed from it ("pro-Trump").
NAME_PREFIXES: tuple[str, ...] = ("pro", "anti", "ex", "non", "post", "pre")

# Possessive endings trimmed from the end of a mention ("Iran's" is Iran).
POSSESSIVE_ENDINGS: tuple[str, ...] = ("'s", "’s", "'", "’")

# Words left out of an organisation's initials ("Islamic Republic of Iran" is IRI), with the
# particles of Arabic, Spanish and Portuguese names that English text keeps ("al", "de").
NAME_FUNCTION_WORDS = _words("of the and for in on de e al el &")


# --- actors across articles (presslens.actors.corpus) -------------------------------------

# Words of a title that may stand before a name in an article's canonical name ("Prime
# Minister Theresa May", "First Lady Michelle Obama"): dropped from person keys.
TITLE_WORDS = HONORIFICS | _words(
    """
    prime vice deputy foreign supreme leader former chief speaker first lady attorney candidate
    nominee presidential democratic republican state u.s. senators representative congressman
    congresswoman mayor director commander spokesman spokeswoman
    """
)

# Suffixes after a person's name, dropped from person keys ("Martin Luther King Jr.").
NAME_SUFFIXES = _words("jr jr. sr sr. ii iii iv")

# Articles dropped from the start of an organisation's key, in any case ("The Pentagon").
DEFINITE_ARTICLES: tuple[str, ...] = ("the",)

# What "&" reads as in an organisation's key ("AT&T" and "AT and T" are one key).
AMPERSAND_WORD = "and"

# The consonant skeleton of a name, for transliteration variants of names written in English
# ("Qaddafi"/"Gaddafi", "Rouhani"/"Rohani"): digraphs spelt as one sound, the letters that all
# sound as k, and the letters dropped after the first (vowels and the glides h, w, y).
SKELETON_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("kh", "k"),
    ("gh", "g"),
    ("zh", "j"),
    ("dh", "d"),
    ("ck", "k"),
)
SKELETON_K_LETTERS = "qcg"
SKELETON_SILENT_LETTERS = "aeiouhwy"


# --- attribution (presslens.attribution) --------------------------------------------------

# Lemmas of reporting verbs beyond PolNeAR's cue lexicon (rare there or absent: "stipulated"):
# inside a content, one with its own subject and complement clause is a nested attribution
# (``extract.nested_attributions``).
REPORTING_VERBS = _words(
    """
    say tell add claim state stipulate assert contend allege maintain insist warn promise vow
    pledge announce declare argue note stress emphasise emphasize remark reply respond confirm
    reveal concede admit acknowledge deny suggest explain write report predict threaten urge
    demand proclaim complain boast testify disclose recall observe repeat reiterate accuse
    """
)

# Lemmas of the verbs that always report speech: where the tagger leaves one without a cue,
# the parse alone makes the attribution (``extract.missed_speech_verbs``). Deliberately only
# these two, not SPEECH_VERBS: this rule adds attributions with no help from the tagger, so it
# takes only verbs that report speech whatever their context; verbs such as "think", "call" or
# "note" do not. A subset of SPEECH_VERBS and of REPORTING_VERBS (the tests check it).
CORE_SPEECH_VERBS = _words("say tell")

# Words that the parse makes the subject of a cue verb but that never are its source: relative
# and interrogative pronouns ("what he said") and expletive "there".
NOT_SOURCES = _words("what which that who whom there")

# Words that open a line "Word: ..." as a label that is not a speaker ("Note:", "Photo:",
# "Q:"), lower case, possessive marks stripped (``patterns.labelled_lines``).
NOT_SPEAKER_LABELS = _words(
    """
    note notes update updated photo photos video watch read related editor editor's source sources
    q a correction clarification breaking exclusive advertisement transcript image caption credit
    warning disclaimer summary subscribe share follow tags
    """
)

# "according to X" as two lower-case words, and the lemma spaCy gives the first: a cue that is
# a preposition, not a verb (the tagger's features, its training and ``patterns.according_to``).
# The cue lexicon keeps it as the two words joined by a space.
ACCORDING_TO: tuple[str, str] = ("according", "to")
ACCORDING_TO_LEMMA = "accord"

# Conjunctions that introduce reported words: in 'said that “...”' the quote is still direct
# (``resolve.attribution_kind``).
QUOTE_INTRODUCERS: tuple[str, ...] = ("that", "whether", "if")

# Pronoun sources and the actor kinds they can stand for, most likely first. "I", "we" and
# "you" are left out on purpose: outside a quote they are the author or the reader.
PRONOUN_KINDS: Mapping[str, tuple[ActorKind, ...]] = {
    "he": ("person",),
    "him": ("person",),
    "she": ("person",),
    "her": ("person",),
    # A group of people (NORP) or an organisation: "they" is seldom one person in news.
    "they": ("group", "organisation"),
    "them": ("group", "organisation"),
    "it": ("organisation", "place"),
}

# "its report", "his statement": the owner is the speaker; each possessive and its pronoun.
POSSESSIVE_PRONOUNS: Mapping[str, str] = {"his": "he", "her": "she", "its": "it", "their": "they"}

# Nouns for a news outlet: "the newspaper said" points back at an outlet named before.
MEDIA_NOUNS = _words(
    """
    newspaper paper daily weekly publication outlet site website magazine journal tabloid
    broadcaster channel station network agency op-ed editorial column article blog
    """
)

# Nouns for a text an organisation issues: "the statement said" points back at an organisation.
ISSUED_NOUNS = _words("report statement communique communiqué release announcement letter")

# Words that make an organisation's name an outlet's: the Valdoria Tribune, Fars News Agency.
OUTLET_NAME_WORDS = _words(
    """
    times post tribune herald news journal gazette telegraph guardian observer express mail mirror
    chronicle daily weekly press agency tv radio television broadcasting magazine review courier
    monitor inquirer dispatch bulletin wire newspaper channel
    """
)

# Abbreviated titles and the role noun a later sentence uses: "Sen. Berg ... the senator".
ABBREVIATED_TITLES: Mapping[str, str] = {
    "sen": "senator",
    "rep": "representative",
    "gov": "governor",
    "gen": "general",
    "pres": "president",
    "prof": "professor",
    "amb": "ambassador",
    "sec": "secretary",
}

# Determiners that introduce someone new ("a minister", "an op-ed"): no anaphora.
INDEFINITE_DETERMINERS = _words("a an another one some several many any")

# Prepositions by which an outlet's name hangs off an outlet noun: "an op-ed in Kayhan".
OUTLET_PREPOSITIONS = _words("in of by from at on")

# Articles dropped from the start of a description that names an unnamed outlet ("a media
# outlet linked to the IRGC").
ARTICLES: tuple[str, ...] = ("a", "an", "the")


# --- techniques: designations (presslens.techniques.designations) ------------------------

# Pejorative designations: nouns that stand in for the name of a government, a leader or a
# group and disparage it while naming it ("the regime", "the mullahs", "Kremlin puppets", "a
# terrorist cult"). Each casts its referent as illegitimate (regime, junta, cabal, clique),
# fanatical (cult, zealot, fanatic), brutal (tyrant, despot, dictator, thug, goon) or servile
# (puppet, stooge, crony, lackey, henchman, minion, apologist, propagandist). None takes a side:
# the rule flags them whoever they are said of. Left out: neutral designations (government,
# administration, leadership, militia) and words with common literal uses in crime and security
# reporting, where the rule cannot tell a label from a description (gang, mob, criminal,
# terrorist, extremist). Singular and plural forms (compared with the lower-cased word, so that
# a headline's "Regime" or "Mullahs" is found without relying on the lemmatiser).
DESIGNATIONS = _words(
    """
    regime regimes junta juntas mullah mullahs cabal cabals clique cliques cult cults
    thug thugs goon goons henchman henchmen minion minions crony cronies lackey lackeys
    stooge stooges puppet puppets tyrant tyrants despot despots dictator dictators
    zealot zealots fanatic fanatics apologist apologists propagandist propagandists
    warmonger warmongers traitor traitors
    """
)

# Determiners that make a designation refer to someone in particular ("the regime", "this
# junta"), unlike "a regime" or "any regime".
DESIGNATION_DETERMINERS = _words("the this that these those")


# --- descriptions as mentions (presslens.actors.descriptions) ----------------------------

# Nouns that, with a determiner or a country, refer to an actor without naming it, by the
# kind of actor they describe (lower case, singular and plural as written). "government":
# the rulers of a country ("the regime", "the Iranian government", "the mullahs");
# "opposition": those against them ("the Resistance", "the rebels"); "organisation": a group
# named by what it is said to be ("the cult"). A government description resolves to the
# government of its country; the others to the one organisation the article names beside them.
DESCRIPTION_NOUNS: Mapping[str, str] = {
    **dict.fromkeys(
        _words("regime regimes government administration authorities junta dictatorship theocracy mullahs ayatollahs"),
        "government",
    ),
    **dict.fromkeys(_words("opposition resistance dissidents rebels insurgents"), "opposition"),
    **dict.fromkeys(_words("cult"), "organisation"),
}

# Prepositions that join a description to its country: "the government of Iran", "the
# regime in Syria".
DESCRIPTION_PREPOSITIONS = _words("of in")

# Words written like a country's abbreviation that are not one: the pronoun "us".
NOT_COUNTRIES = frozenset(["us"])  # compared as written: "US" is a country

# Government nouns by the register they belong to. A bare "the regime" refers to the
# government a "regime" with a country named before it ("the Iranian regime"), not to one
# that only a "government" named ("the Russian government ... the regime" are two).
GOVERNMENT_FAMILIES: Mapping[str, str] = {
    **dict.fromkeys(_words("regime regimes junta dictatorship theocracy mullahs ayatollahs"), "regime"),
    **dict.fromkeys(_words("government authorities"), "government"),
    "administration": "administration",
}

# Modifiers that make a role refer to no one yet: "the next president", "a future minister".
NON_REFERRING_MODIFIERS = _words("next future any every ideal eventual")

# Role nouns that, as "the minister", refer to the person the article gave that role to.
ROLE_NOUNS = _words(
    """
    minister president senator governor secretary ambassador chancellor premier spokesman
    spokeswoman spokesperson chairman chairwoman director commander mayor lawmaker official
    """
)

# Adjectives of nationality and the country each names ("the Iranian regime" is the
# government of Iran), lower case. The countries are also the places a bare "the regime" can
# belong to when the article names one country and no other.
DEMONYMS: Mapping[str, str] = {
    "iranian": "Iran",
    "iraqi": "Iraq",
    "syrian": "Syria",
    "russian": "Russia",
    "chinese": "China",
    "american": "United States",
    "u.s.": "United States",
    "british": "United Kingdom",
    "french": "France",
    "german": "Germany",
    "israeli": "Israel",
    "saudi": "Saudi Arabia",
    "turkish": "Turkey",
    "egyptian": "Egypt",
    "afghan": "Afghanistan",
    "pakistani": "Pakistan",
    "indian": "India",
    "ukrainian": "Ukraine",
    "belarusian": "Belarus",
    "venezuelan": "Venezuela",
    "cuban": "Cuba",
    "nicaraguan": "Nicaragua",
    "libyan": "Libya",
    "yemeni": "Yemen",
    "lebanese": "Lebanon",
    "jordanian": "Jordan",
    "qatari": "Qatar",
    "emirati": "United Arab Emirates",
    "bahraini": "Bahrain",
    "north korean": "North Korea",
    "south korean": "South Korea",
    "japanese": "Japan",
    "mexican": "Mexico",
    "canadian": "Canada",
    "brazilian": "Brazil",
    "italian": "Italy",
    "spanish": "Spain",
    "polish": "Poland",
    "hungarian": "Hungary",
    "serbian": "Serbia",
    "georgian": "Georgia",
    "azerbaijani": "Azerbaijan",
    "armenian": "Armenia",
    "kazakh": "Kazakhstan",
    "uzbek": "Uzbekistan",
    "burmese": "Myanmar",
    "thai": "Thailand",
    "vietnamese": "Vietnam",
    "philippine": "Philippines",
    "indonesian": "Indonesia",
    "malaysian": "Malaysia",
    "nigerian": "Nigeria",
    "ethiopian": "Ethiopia",
    "eritrean": "Eritrea",
    "sudanese": "Sudan",
    "zimbabwean": "Zimbabwe",
    "rwandan": "Rwanda",
    "algerian": "Algeria",
    "moroccan": "Morocco",
    "tunisian": "Tunisia",
    "palestinian": "Palestine",
    "kuwaiti": "Kuwait",
    "omani": "Oman",
    "greek": "Greece",
    "dutch": "Netherlands",
    "swedish": "Sweden",
    "australian": "Australia",
}


# --- labels: how a text characterises an actor (presslens.labels) ------------------------

# Words that distance the writer from a name or description ("the so-called 'resistance
# units'", "the self-styled caliph"): they call it illegitimate without a word of abuse, so
# no general sentiment lexicon rates them. Negative as labels.
DISTANCING_WORDS = _words("so-called self-styled self-proclaimed self-appointed would-be pseudo")

# Words of political abuse that VADER's lexicon does not rate (checked: none of these is in
# it), as labels negative: "an extremist organisation", "corrupt mullahs", "rogue state".
# Not in DESIGNATIONS, whose rule flags a technique: these have literal uses in security
# reporting, but said of an actor they still cast it down.
PEJORATIVE_WORDS = _words(
    """
    extremist extremists radical radicals jihadist jihadists fundamentalist fundamentalists
    corrupt corruption authoritarian illegitimate rogue infamous hardline hardliner hardliners
    """
)

# Predicates of blame: "the regime is responsible (for that)", "is to blame", "is culpable".
# A general lexicon rates "responsible" as praise; said of an actor it assigns blame.
BLAME_WORDS = _words("responsible accountable culpable liable blame guilty")

# Lemmas of the verbs that join a subject to what it is said to be ("the MEK is an
# organisation", "the regime remains fearful"): their complement is a label of the subject.
COPULA_LEMMAS = _words("be become remain seem appear")


# --- cleaning scraped text (presslens.ingest.clean) ---------------------------------------

# Whole lines that are navigation, sharing or legal furniture, never article prose: regular
# expressions, matched in any case against a whole stripped line.
DEBRIS_LINES: tuple[str, ...] = (
    r"exit mobile version",
    r"skip to (?:main )?content",
    r"(?:share|tweet|pin|email|print|whatsapp|telegram|reddit|linkedin|facebook|twitter)"
    r"(?: (?:this|on \w+|via \w+|article|story|page))?",
    r"(?:click to )?share (?:on|via) \w+.*",
    r"share this(?: article| story)?:?",
    r"like this:?",
    r"loading\.\.\.",
    r"related(?: (?:articles|posts|stories|news))?:?",
    r"advertisement",
    r"sponsored(?: content)?",
    r"(?:read|see) (?:more|also):?",
    r"(?:sign up|subscribe) (?:to|for) (?:our|the) (?:free )?newsletters?.*",
    r"follow us on .*",
    r"(?:we|this (?:web)?site) uses? cookies.*",
    r"accept(?: all)? cookies",
    r"(?:accept|decline|reject all|manage (?:cookies|preferences)|cookie settings)",
    r"(?:copyright )?(?:©|\(c\)) ?(?:\d{4}.*|.*all rights reserved\.?)",
    r"all rights reserved\.?",
    r"back to top",
    r"(?:previous|next) (?:article|post|story)",
    r"comments?",
    r"leave a (?:comment|reply)",
    r"menu",
    r"search",
)

# The first word of a breadcrumb line ("Home › News › World"), lower case.
BREADCRUMB_FIRST_WORDS = _words("home homepage start")


# --- the store's full-text index and search (presslens.store.columns) --------------------

# Words too common to index: they are in nearly every article and would make the index
# several times larger. Phrase search still finds them (it checks the text itself).
SEARCH_STOP_WORDS = _words(
    """
    a about after all also an and any are as at be been but by can could did do does for from
    had has have he her his i if in into is it its may more most no not of on one or our out over
    s said say says she so some than that the their them then there these they this those to up
    was we were what when which who will with would you your
    """
)


# --- claims (presslens.claims.extract) ------------------------------------------------------

# Words that attribute a cause: a sentence with one makes a causal claim ("the strikes were
# organised by ...", "prices rose because of ..."), which fact-checkers check.
CLAIM_CAUSE_WORDS = _words(
    """
    because cause caused causes causing due behind blamed responsible result resulted led
    triggered sparked orchestrated organised organized funded financed directed ordered
    """
)
# Words for numbers written out: "three thousand", "a dozen", "half".
CLAIM_NUMBER_WORDS = _words(
    """
    two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    hundred hundreds thousand thousands million millions billion billions trillion dozen
    dozens half percent
    """
)
# Lemmas that make a sentence an opinion or a call rather than a factual claim.
CLAIM_OPINION_LEMMAS = _words("should must ought hope wish believe think feel seem opinion view")
# Words that deny: two claims alike in every word but one of these say opposite things
# ("Russia interfered ..." and "Russia did not interfere ..."), which a sentence embedding
# scores as close; narratives do not link them (presslens.store.narratives).
CLAIM_NEGATION_WORDS = _words(
    """
    not no never nothing none nobody neither nor n't cannot deny denies denied denying
    false untrue baseless unfounded
    """
)
# The writer's own voice as a subject: "I think", "we believe" make an opinion, not a claim.
CLAIM_FIRST_PERSON = _words("i we")
