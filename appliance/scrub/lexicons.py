"""Word lists the recognizers use: given names and surnames (hand-written, multicultural, fictional
combinations only), titles and labels that introduce names, street types, and the clinical / financial /
software vocabulary that must survive scrubbing.

Lists are lower case; lookups casefold the token. Names that are also common words ("grace", "will",
"mark") are in AMBIGUOUS_GIVEN and count only when capitalized and followed by a surname-shaped word.
"""

from __future__ import annotations

from pathlib import Path


def _words(s: str) -> frozenset[str]:
    return frozenset(w.strip().casefold() for w in s.split() if w.strip())


GIVEN_NAMES = _words(
    """
    aaliyah abdul abdullah abebe abigail abimbola ada adaeze adam adebayo adeola adrian adriana agnes ahmad
    ahmed aiden aiko aisha akira akosua alan alberto alejandro aleksandra alessandra alessandro alex alexander
    alexandra alexei alfonso alfredo ali alice alicia alina alisha alison aliyu allison alma alonso alvaro
    amal amanda amara amaya amelia amina amir amit amy ana anastasia anders andrea andreas andrei andres
    andrew andrzej angela angelica anika anil anita ankit ann anna annabelle anne annika antoine anton
    antonio anya arash arjun arman armando arnav arthur arturo asha ashley astrid aurelia ava axel ayodele
    ayumi babajide baraka barbara beatriz benedikt benjamin bernard bianca birgit bjorn björn bogdan boris
    brandon brenda brian bridget bruno bukola camila camille carla carlos carmen carolina caroline catalina
    catherine cecilia cedric celine cesar chandra charles charlotte chen chiamaka chidi chinedu chioma chloe
    chloé christian christina christopher claire clara claudia colin connor constance cristina cynthia
    dagny daisuke damian dana daniel daniela danielle darius david deborah deepak denise derek diana diego
    dimitri dmitri dmitry dolores dominic dominika donald donna dorothy dylan ebere edgar eduardo edward
    eileen ekaterina elena eleni elias elif elijah elisa elisabeth eliza elizabeth ella ellen emeka emil
    emilia emily emma emre enrique eric erik erika ernesto esperanza esther ethan eugene eva evelyn fabian
    fabio farah farida fatima fatimah federico felipe felix fernanda fernando filip finn fiona florian
    folake francesca francesco francisco frank franziska freya friedrich gabriel gabriela gareth gaurav
    george georgia gerhard gianluca giorgio giovanni giulia giuseppe gloria gonzalo gregory greta guadalupe
    guillermo gunnar gustavo hamid hana hannah hans haruto hassan heather hector heidi helen helena henrik
    henry hiroshi hugo ibrahim ifeoma ignacio igor ilya imani ines ingrid irene irina isaac isabel isabella
    ivan jacob jakub james jamal jan jana jane janet janice jasmine jason javier jayden jean jennifer jeremy
    jessica jiho jin joanna joao joaquin johan johanna john jonas jonathan jorge jose josé joseph joshua
    juan julia julian juliana julie julien jun justin kamala karen karim karin karina kasia katarzyna
    katherine kathleen kavya kayode keiko kelechi kenji kevin khalid kim kimberly kofi kwame kwabena
    lakshmi lars laura lauren lea leah leila lena leon leonardo leticia liam lina linda lindiwe lisa liu
    lorenzo louis lucas lucia luciana lucy luis luisa lukas luz magdalena mahmoud malik manuel marc marcela
    marco marcus margaret margarita maria mariam mariana marie marina mario marisol marta martha martin
    mary maryam mateo matteo matthew maurice maxim maximilian megan mehmet mei melissa mia michael michelle
    miguel mikhail milan min mira miriam mohamed mohammed monica monika muhammad nadia nadine naledi naomi
    natalia natasha nathan nia nicholas nicolas nikhil nikolai nina noah noor nora norbert nuno obinna
    oksana olga oliver olivia olumide olusegun omar oscar pablo paolo patricia patrick paul paula pavel
    pedro pierre pieter piotr pooja prakash priya priyanka rachel rafael rahul raj rajesh ramon raquel
    rashid rebecca renata renée renee ricardo richard rita roberto robert rodrigo rohan roman rosa rosalind
    ruth ryan sadia sakura salma samantha samir samuel sandra sanjay santiago sara sarah sasha sebastian
    sergei sergio shanice sharon shira shreya simon simone siobhan siddharth sofia sophia sophie stefan
    stefania stephanie stephen steven sunil susan svetlana takeshi tamara tanvir tatiana teresa thabo
    thanh thomas timothy tobias tomas tomasz tunde ulrich uma valentina valeria vanessa vasily veronica
    victor vikram vincent viktor vladimir walter wei wojciech xavier xin yara yasmin yelena yerlan yiannis
    yosef youssef yuki yuri yusuf yvonne zainab zara zeynep zhang zoe zoë
    paige ming hao wei xin hui ying qiang jie mei yun rui zhi jian xiaoling xiaoming zihan haoran zhiwei jiahui
    yuxuan minh thanh huong linh trang quang tuan hyun eun jae
    """
) | _words(
    # common English-language given names the wide gazetteer leaves out as words of the English word index
    # (those that are also ordinary words or places are in AMBIGUOUS_GIVEN too: "Peter Hale", not "peter out")
    """
    anthony gary scott jerry tyler aaron douglas terry sean lawrence bryan billy bruce albert wayne randy russell
    bobby philip nancy judith doris theresa brittany joyce carol peter logan madison virginia
    albie aria beryl clive erin esme ezra gemma harry jenson kelly luke mavis maya pauline phoebe riley sienna
    stanley stuart teddy thea toby tracy leo ben bob dan jim jude kai ken max mike nick rob ron ted tom blake
    harper norman
    """
)

# Given names that are also ordinary words or places: only counted when capitalized and followed by a
# surname-shaped word ("Grace Otieno"), never alone or in lower case.
AMBIGUOUS_GIVEN = _words(
    """
    amber april art august bill chase christian dawn faith frank georgia grace hope ivy jack jade june
    kim lily mark may min pat rose ruby sky summer will victoria florence austin jordan paris dallas jan
    sunday autumn sunny can jun destiny precious carol virginia madison logan peter terry joyce douglas russell
    lawrence ben bob dan jim jude kai ken max mike nick rob ron ted tom blake harper norman ana
    """
)

# Given names that are also English words, taken only right before a name found otherwise ("Patience Quispe",
# "Lucky Obi", "Storm Little"), and surnames that are English words, taken only right after a given name
# ("Ioana Ward", "Do-yun Park", "Seo-jun Nurse").
WORD_GIVEN = AMBIGUOUS_GIVEN | _words(
    """
    patience memory lucky storm rain rocky joy star honour honor innocent blessing precious godswill goodluck
    promise mercy charity prudence constance felicity hazel heather holly iris violet daisy poppy willow river
    sage misty dusty happy king duke earl sterling cash bliss harmony melody penny
    """
)
WORD_SURNAMES = _words(
    """
    ward nurse hope field fields best park wood woods law short little young king hill hills cook baker bird
    moon snow frost fisher hunter walker price rich black white brown green gray grey long strong wells chase
    hunt west mills cole hart ross shaw palmer warren spencer
    bell ball lane marsh rose hall moss ford stone knight page mason butler carter porter turner cooper miller
    taylor smith wright shepherd gardener fox wolf lamb swan crane finch sparrow nash day night summers winter
    spring rivers brooks banks waters lake sands meadows bush birch oak ash reed rush dean bishop pope sexton
    steward chamberlain marshall sargent major noble savage wise goodman sweet love merry gay bright fair
    le do vu ng li wu xu hu ma ho ly lo yu ko oh ha ta to lam mai cao ngo
    """
)  # (the last line: short East and South-East Asian surnames, "Phuong Le", "Bao Do", "Min Ko")

SURNAMES = _words(
    """
    abara abernathy achebe adeyemi afolabi agarwal aguilar ahmadi akhtar albrecht alvarado alvarez andersen
    anderson andrade antonelli araujo arslan asante bachmann baptiste barros becker bianchi bjork blanco
    bondarenko borges brandt castillo castro chaudhry chen cohen costa cruz da silva delacroix diaz dimitrov
    dubois dvorak eriksen esposito fernandes fernandez fernández fischer fitzgerald fontaine gallagher
    garcia garcía gomez gonzalez gonzález gutierrez gutiérrez haddad hakimi halvorsen hansen hashemi
    hernandez herrera hoffmann horvath huang ibrahim ivanov ivanova jankowski jensen johansson kaczmarek
    kapoor kato kaur kelly khan khoury kim kobayashi kowalczyk kowalski kozlov krause kumar larsen laurent
    lefebvre lehmann lindqvist lopez lópez lungu mahlangu marchetti martinez martínez mendoza mensah meyer
    molina moreau moreno mueller müller murphy nakamura nascimento navarro ndlovu nguyen nielsen novak
    nowak o'brien o'connor o'sullivan obi odhiambo ogunleye okafor okeke okonkwo oliveira ortiz otieno
    owusu pacheco patel pereira perez pérez petrov petrova popescu quispe rahimi ramirez ramírez reyes
    richter rodriguez rodríguez romero rossi russo sanchez sánchez santos sato schmidt schneider schulz
    silva singh sokolov suzuki svensson takahashi tanaka tran vargas vasquez volkov wagner wang weber
    whitfield wojcik yamamoto yilmaz zhang zhou zimmermann
    yang lin luo gao yuan wei cui dong ding han
    """
) | _words(
    # the commonest English-language surnames, left out of the wide gazetteer because the English word index
    # has them (WordNet's proper names: "jones", "lewis", "johnson")
    """
    adams allen andrews armstrong bailey barker bennett campbell chapman clark collins cox davies davis edwards
    evans foster gibson graham hamilton harris harrison hayes holmes howard hughes jackson johnson jones kennedy
    lee lewis lloyd mitchell morgan morris murray nelson owens perry powell reynolds richardson rivera roberts
    robinson rogers stevens stewart sullivan thompson wallace watson webb williams wilson
    """
)

# Surnames that are common words or places: never matched on their own.
AMBIGUOUS_SURNAMES = _words(
    """
    baker bell black brown carpenter cook cooper english fisher ford green hall hill king lane long mason
    miller moore park parker price rice rose short stone strong turner walker ward white wood young
    sun song pan fan ye du su fu dai he lu ma hu yu xu tang
    """
)

def _data_words(name: str) -> frozenset[str]:
    path = Path(__file__).with_name("data") / name
    with open(path, encoding="utf-8") as f:
        return frozenset(w.strip() for w in f if w.strip() and not w.startswith("#"))


# The wide gazetteer: Faker's name lists of every locale (Latin script), less ordinary words of English and of
# the European languages (packaging/build-name-list writes the files). A name here alone counts only written as
# a name ("Ghada"), never in lower case, where a word of another language is as likely, or in ALL CAPS, where
# an acronym is ("FICO", "SID").
WIDE_GIVEN = _data_words("given_names.txt")
WIDE_SURNAMES = _data_words("surnames.txt")
WIDE_NAMES = WIDE_GIVEN | WIDE_SURNAMES

TITLES = (
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "doctor",
    "prof",
    "professor",
    "sr",
    "sra",
    "srta",
    "herr",
    "frau",
    "mme",
    "mlle",
    "monsieur",
    "madame",
    "sir",
    "dame",
    "rev",
    "nurse",
    "officer",
    "capt",
    "judge",
    "dott",
    "dott.ssa",
    "don",
    "doña",
    "hon",
    "cllr",
    "councillor",
    "sgt",
    "insp",
    "pc",
    "det",
    "supt",
)

# Words after which a name follows ("Patient: Jane Roe", "my name is jane roe", "Dear Jane").
NAME_LABELS = (
    r"patient(?:\s+name)?",
    r"pt(?:\s+name)?",
    r"name",
    r"full\s+name",
    r"client",
    r"customer(?:\s+name)?",
    r"card\s*holder(?:\s+name)?",
    r"name\s+on\s+(?:the\s+)?card",
    r"account\s+holder",
    r"member(?:\s+name)?",
    r"beneficiary",
    r"payee",
    r"guarantor",
    r"subscriber",
    r"insured",
    r"caller",
    r"requester",
    r"reported\s+by",
    r"referred\s+by",
    r"seen\s+by",
    r"signed(?:\s+by)?",
    r"attending(?:\s+physician)?",
    r"physician",
    r"provider",
    r"pcp",
    r"surgeon",
    r"emergency\s+contact",
    r"next\s+of\s+kin",
    r"nok",
    r"spouse",
    r"husband",
    r"wife",
    r"partner",
    r"mother",
    r"father",
    r"son",
    r"daughter",
    r"brother",
    r"sister",
    # (more of a family: "Maire's mum Mairi", "to granddaughter Precious", "her nephew Tomasz")
    r"mum",
    r"mom",
    r"dad",
    r"grand(?:daughter|son|mother|father|ma|pa)",
    r"niece",
    r"nephew",
    r"aunt(?:ie)?",
    r"uncle",
    r"cousin",
    r"step(?:son|daughter|mother|father)",
    r"fianc[ée]e?",
    r"girlfriend",
    r"boyfriend",
    r"guardian",
    r"policy\s*holder",
    r"dependent",
    r"legal\s+name",
    r"preferred\s+name",
    r"applicant(?:\s+\d)?",
    r"witness",
    r"claimant",
    r"complainant",
    r"assistant",
    r"resident",
    r"caregiver",
    r"prescriber",
    r"requesting\s+clinician",
    r"referring(?:\s+physician)?",
    r"(?:approved|verified|opened|reviewed|dictated|prepared|entered|written|authori[sz]ed|handed\s+over)\s+by",
    r"transferring\s+you\s+to",
    r"/s/",
    r"ask\s+for",
    r"appoint\s+my\s+\w+",
    r"chatting\s+with",
    r"agent",
    r"rep",
    r"dear",
    r"hi",
    r"hello",
    r"hey",
    r"thanks",
    r"thank\s+you",
    r"regards",
    r"sincerely",
    r"cheers",
    r"best",
    r"my\s+name\s+is",
    r"my\s+name's",
    r"name\s+is",
    r"this\s+is",
    r"i\s+am",
    r"i'm",
    r"im",
    r"call\s+me",
    r"spoke\s+(?:with|to)",
    r"talked\s+(?:with|to)",
    r"speak\s+(?:with|to)",
    r"accompanied\s+by",
    r"mr\.?\s+and\s+mrs",
    r"c/o",
    r"attn",
    r"from",
    r"to",
    r"cc",
)

# Words that end a name run (lower case); used so "Dr. Lee said" does not swallow "said".
NAME_STOP = _words(
    """
    a an and are as at be been but by called came can could did do does for from had has have he her here
    him his how i if in is it its just me my no not now of on or our out please re said says she so
    that the their them then there they this to today too told up us was we went were what when where who
    will with would you your yes ok okay thanks thank hi hello dear regards sincerely best cheers about
    again also am any been call calling came care confirmed could done ever few got help here hereby into
    know let like made many more most much need new next note notes one only other over per re same see
    seen some such than though through under until very via want way well while why yesterday tomorrow
    patient pt client customer member caller agent team support billing clinic hospital doctor nurse
    account card number phone email address dob mrn ssn id date today tonight morning evening afternoon
    reports reported states stated presents presented denies complains admitted discharged prescribed
    sure sorry happy unable able still glad back fine good afraid concerned aware ready currently really
    also just writing calling having feeling looking trying going waiting very so
    yeah yep yup yes nope nah umm um uh uhh hmm ya ye ugh off thx pls plz get whats teh ur u cust name names
    mg mcg ml units daily twice bid tid qid prn po iv im sc q
    """
)

US_STATES = _words(
    """
    al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm ny nc nd
    oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc pr
    """
)

US_STATE_NAMES = (
    "alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho "
    "illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota "
    "mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah "
    "vermont virginia washington wisconsin wyoming"
).split() + [
    "new york",
    "new jersey",
    "new mexico",
    "new hampshire",
    "north carolina",
    "south carolina",
    "north dakota",
    "south dakota",
    "rhode island",
    "west virginia",
]

STREET_TYPES = (
    "street|st|avenue|ave|av|road|rd|boulevard|blvd|drive|dr|lane|ln|court|ct|way|place|pl|terrace|terr|ter|hill|"
    "circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|crescent|cres|close|grove|gardens|gdns|row|mews|"
    "walk|alley|aly|loop|pike|plaza|plz|path|point|pt|ridge|heights|hts|park|green|rise|parade|esplanade|"
    "quay|wharf|broadway|causeway|crossing|xing|expressway|expy|freeway|fwy|turnpike|tpke|run|bend|hollow|"
    "glen|meadow|meadows|chase|view|vista|court|commons|landing|junction|jct|estate|estates|villas|"
    "cove|creek|field|fields|harbor|harbour|knoll|manor|orchard|pass|pines|ranch|spring|springs|station|"
    "summit|valley|village|wood|woods|yard|"
    # British, Irish, Australian and New Zealand forms
    "lawn|acre|tce|pde|wynd|brae|vale|grange|cl|approach|appr|fold|"
    # India's "Marg" ("13th Church Marg"; not "Nagar", a district's name before its street: "Gandhi Nagar 2nd Street")
    "marg"
)

# European street words that come before the name ("Rue de Rivoli 12", "12 rue de Rivoli", "Via Roma 5").
EU_STREET_PREFIX = (
    "rue|avenue|av\\.?|boulevard|bld|place|pl\\.?|chemin|impasse|allée|allee|quai|route|cours|"
    "calle|c/|avenida|avda\\.?|paseo|camino|carrer|carretera|plaza|pza\\.?|ronda|travesía|passeig|avinguda|plaça|"
    "rambla|travessera|"
    "viale|piazza|corso|largo|vicolo|borgo|rua|travessa|praça|praca|estrada|alameda|calçada|calcada|gran(?=\\s+v[ií]a)|"
    "ulica|ul\\.|aleja|al\\.|straße|strasse|"
    "gata|gatan|vej|vei|veien|stræde|laan|straat|weg|plein|gracht|kade|"
    # Welsh, Irish, French-Canadian
    "heol|ffordd|stryd|lôn|lon|bóthar|bothar|sráid|sraid|ascaill|ch\\.|boul\\.?|"
    # Romanian, Hebrew (transliterated), Indonesian/Malay, Peruvian, Thai (words that are also other words,
    # "BD" twice daily, "Jr." after a name, English "via", are added with their case in recognizers.py)
    "strada|calea|b-dul|bulevardul|aleea|șoseaua|soseaua|"
    "rehov|rechov|derech|sderot|jalan|jirón|jiron|soi|thanon|"
    # Irish ("Ard na Gréine", "Cnoc an Óir", "Páirc na Coille")
    "ard|cnoc|páirc|pairc|radharc|céide|ceide|lána|plás"
)

# German/Dutch/Nordic suffix forms written as one word ("Hauptstraße 5", "Kerkstraat 12").
EU_STREET_SUFFIX = (
    "straße|strasse|str\\.|weg|gasse|platz|allee|ring|damm|ufer|steig|pfad|chaussee|markt|"
    "straat|laan|gracht|plein|kade|singel|dijk|"
    "gatan|gata|vägen|vegen|veien|vejen|vej|gade|stræde|katu|tie"
)

# ---------------------------------------------------------------------------------------------------------
# Precision: vocabulary that must survive.

# Eponyms used in disease, sign, score and procedure names.
EPONYMS = _words(
    """
    addison alzheimer apgar asperger babinski barrett bell beck bethesda billroth bishop breslow broca
    brudzinski chagas charcot chiari child-pugh chvostek clark coombs creutzfeldt-jakob crohn cushing
    doppler down dupuytren duke ehlers-danlos epley epstein-barr ewing fabry fallot fitzpatrick foley
    framingham friedreich gaucher gilbert glasgow gleason goodpasture gram graves guillain-barré
    guillain-barre hamilton hartmann hashimoto heimlich hirschsprung hodgkin holter homan horner
    huntington kaposi karnofsky kawasaki kernig killip klinefelter korsakoff kussmaul lachman
    legg-calvé-perthes lown lyme mallampati marfan mcburney mcmurray meniere ménière munchausen murphy
    nissen osgood-schlatter paget papanicolaou parkinson peyronie phalen pott raynaud ranson reiter reye
    rett romberg roux-en-y schilling sjogren sjögren stevens-johnson still swan-ganz takayasu tanner
    tay-sachs tinel tourette trendelenburg trousseau turner valsalva von willebrand waldenström wegener
    wells wernicke whipple wilms wilson wolff-parkinson-white zollinger-ellison
    """
)

# Eponyms that are also common surnames ("Allen's test", "Baker's cyst", "Morse Fall Scale"): clinical only with
# a head noun after them, never as a possessive alone ("Allen's appointment" is a person's).
EPONYMS_HEADED = _words(
    """
    adson apley bankart barlow barthel behcet behçet blatchford bosniak bouchard
    braden breslow brown-sequard budd-chiari buerger caprini centor cheyne-stokes colles conn cormack-lehane
    courvoisier cullen dix-hallpike de-quervain dressler duchenne dukes erb fanconi felty finkelstein
    fleischner froment galeazzi geneva gustilo hampton hawkins harvey-bradshaw heberden heller hoffmann
    janeway katz kehr kerley korotkoff lhermitte ludwig mallory-weiss marjolin mcdonald meckel mirizzi
    monteggia moro morse nikolsky norton ortolani osler pemberton prinzmetal quincke ramsay
    rankin rinne rockall romano-ward rovsing salter-harris schatzker schober spurling sydenham
    thessaly truelove virchow waterlow westermark yergason zenker ziehl-neelsen alvarado apfel
    aldrete kurtzke lawton forrest burkitt kocher mobitz brugada wenckebach ivor-lewis wellens
    sgarbossa bowen duckett-jones sokolow-lyon baker fuchs ishihara snellen amsler jaeger schirmer goldmann adie
    allen evans jackson-pratt hoyer
    """
)

# Head nouns after an eponym that make it a clinical term, not a person.
EPONYM_HEADS = (
    "disease|syndrome|palsy|sign|signs|score|scale|scoring|criteria|classification|stage|staging|grade|"
    "test|maneuver|manoeuvre|reflex|phenomenon|lymphoma|sarcoma|tumou?r|carcinoma|ulcer|fracture|node|"
    "anemia|anaemia|disorder|procedure|operation|repair|fundoplication|index|method|law|rule|catheter|"
    "monitor|stain|smear|triad|esophagus|oesophagus|thyroiditis|encephalopathy|contracture|dementia|"
    "virus|cyst|canal|dystrophy|arteritis|neuralgia|position|incision|point|respiration|breathing|class|"
    "myotomy|fall\\s+scale|fall\\s+score|tear|lesion|node|nodes|sign|spots?|lines|sounds?|murmur|reaction|"
    "rule|rules|tool|questionnaire|inventory|diverticulum|ligament|bursitis|paralysis|pupil|level|pattern|"
    "block|type|wave|waves|thickness|plates?|grid|tonometry|tonometer|drains?|lift|"
    "chart(?![ \t]*(?:#|no\\b|number|:))"  # "Snellen chart", not a patient's "Bishop    Chart # 2024990750"
)

# Drug names seen in notes (generic), and suffixes that mark a generic drug name.
DRUGS = _words(
    """
    acetaminophen albuterol alendronate allopurinol alprazolam amiodarone amitriptyline amlodipine
    amoxicillin anastrozole apixaban aripiprazole aspirin atenolol atorvastatin azithromycin baclofen
    benazepril budesonide bupropion buspirone canagliflozin carvedilol cefalexin cephalexin ceftriaxone
    cetirizine ciprofloxacin citalopram clonazepam clopidogrel cyclobenzaprine dapagliflozin dabigatran
    dexamethasone diazepam diclofenac digoxin diltiazem donepezil doxycycline duloxetine empagliflozin
    enalapril enoxaparin escitalopram esomeprazole estradiol famotidine fentanyl finasteride fluconazole
    fluoxetine fluticasone furosemide gabapentin glargine glimepiride glipizide heparin
    hydrochlorothiazide hydrocodone hydroxychloroquine ibuprofen insulin ipratropium isoniazid
    ketorolac labetalol lamotrigine lansoprazole levetiracetam levofloxacin levothyroxine lidocaine
    liraglutide lisinopril lithium loratadine lorazepam losartan lovastatin meloxicam metformin
    methotrexate methylprednisolone metoclopramide metoprolol metronidazole montelukast morphine
    naloxone naproxen nifedipine nitrofurantoin nitroglycerin olanzapine omeprazole ondansetron
    oxybutynin oxycodone pantoprazole paroxetine penicillin phenytoin pioglitazone pravastatin
    prednisolone prednisone pregabalin promethazine propranolol quetiapine ramipril ranitidine
    rifampin risperidone rivaroxaban rosuvastatin semaglutide sertraline sildenafil simvastatin
    sitagliptin spironolactone sumatriptan tamoxifen tamsulosin terbinafine tiotropium topiramate
    tramadol trazodone valacyclovir valsartan vancomycin venlafaxine verapamil warfarin zolpidem
    lipitor crestor zocor norvasc glucophage lasix coumadin eliquis xarelto synthroid zoloft prozac
    lexapro wellbutrin xanax ativan ambien advil tylenol motrin aleve nexium prilosec plavix januvia
    jardiance farxiga ozempic trulicity humira keytruda lantus humalog novolog ventolin symbicort
    advair singulair flonase zyrtec claritin augmentin keflex cipro levaquin zithromax
    folic valproic tranexamic ascorbic zoledronic mycophenolic fusidic aminocaproic ursodeoxycholic
    acetylsalicylic nicotinic
    havrix jext fostair panadol seretide epipen calpol nurofen lemsip gaviscon mounjaro wegovy fybogel piriton
    sudafed zirtek clarityn movicol laxido oramorph
    """
)

DRUG_SUFFIXES = (
    "statin|pril|sartan|olol|dipine|mab|nib|zumab|ximab|azole|cillin|mycin|floxacin|cycline|formin|gliptin|"
    "gliflozin|glutide|parin|xaban|gatran|tidine|prazole|semide|thiazide|vir|vudine|tretinoin|olone|sone|"
    "pam|lam|zepam|oxetine|triptan|tyline|apine|idone|done|codone|morphone|profen|coxib|lukast|terol|"
    "dronate|setron|caine|sterone|estrol|diol|pramine|faxine|zodone|racetam|trigine|barbital|thyroxine|"
    "plase|kinase|ase|cept|kin|tide|platin|rubicin|taxel|mustine|trexate|uracil|dopa|poetin|orphine|relin|"
    "prolide|oxone|tropium"
)

# A clinician's credentials after a name or initials ("Hye-jin Bishop, RN", "S.H., LMFT", "MBX, PsyD", "M.W. EMT-B"):
# never a name's given part ("Bishop, RN").
CREDENTIALS = (
    "RN", "LPN", "LVN", "CNA", "APRN", "FNP", "PA-C", "PhD", "PsyD", "PharmD", "RPh", "LCSW", "LMFT", "LPC", "LMHC",
    "MSW", "BSN", "MSN", "DNP", "CRNA", "OTR", "SLP", "RDN", "EMT", "EMT-B", "EMT-P", "DDS", "DMD", "MBBS",
    "CCRN", "CPhT", "RRT", "CNM", "MD", "NP",
)
# Words that never form a person name on their own (ALL CAPS clinical abbreviations, section labels, credentials).
NOT_NAMES = _words(
    """
    mbps gbps kbps kwh mwh ghz mhz gb mb tb kb
    bp hr rr spo2 o2 ldl hdl tsh ekg ecg mri ct cbc bmp cmp ana inr ptt pt bun egfr gfr alt ast a1c hba1c
    dob mrn ssn icd cpt npi dea hipaa gdpr pci phi pii er ed icu or pacu ob gyn ent gi copd chf cad htn
    dm ckd uti uri mi cva tia dvt pe afib sob cp n/v nkda nka prn bid tid qid qhs hs po iv im sc sq rx dx
    hx tx fx sx px plan assessment subjective objective history medications allergies vitals labs
    impression diagnosis diagnoses procedure procedures note notes summary discharge admission follow
    followup follow-up visit clinic hospital unit ward room bed floor department pharmacy lab laboratory
    patient provider physician nurse doctor team care insurance claim billing account card bank branch
    transfer payment invoice refund balance statement fee fees charge charges loan mortgage deposit
    withdrawal transaction transactions ticket case order support help desk agent customer service
    home work office mobile cell address street city state zip country
    tel fax email e-mail mob cell ph addr re fw fwd subject
    password login app version update release build error issue bug device browser server
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    mg mcg ml dl mmol units iu meq kg lb lbs cm mm bpm mmhg usd eur gbp
    continue start stop started stopped increase decrease hold resume take taking took given
    summarise summarize summarised summarized rewrite paraphrase translate classify extract explain draft redact
    anonymise anonymize convert
    bin pcn rxbin rxpcn rxgrp grp adv npi ncpdp
    salary wages payroll trabajador trabajadora empleado empleada cliente agente
    bleep pager log mum mom dad nan nana gran granny grandma grandad grandpa
    dep wdl tfr chq bgc fpo fpi eft ach atm interac
    council bd od tds qds nocte mane xl ec mdi neb
    nhs cpf nin nric dni nie nif pps ppsn rfc curp nino bvn nuban ird tfn
    """
) | frozenset(  # (not MD and NP, also someone's initials: "by MD", "Wang, Jun S MD"; not the hyphenated ones)
    c.casefold() for c in CREDENTIALS if c not in ("MD", "NP") and "-" not in c
)


# ---------------------------------------------------------------------------------------------------------
# English vocabulary: evidence that a lower-case word is an ordinary word rather than a name.


class EnglishWords:
    """Membership test for ordinary English words (with regular inflections), from the word index that
    ships inside the policy's own spaCy pipeline (its lemmatizer look-up tables: WordNet base forms and
    irregular forms) plus spaCy's stop words. Nothing is downloaded; a pipeline without those tables gives an
    empty vocabulary, and the lower-case name rules that need it then stay off (`bool(words)` is False)."""

    def __init__(self, words: frozenset[str]):
        self.words = words

    def __bool__(self) -> bool:
        return bool(self.words)

    def __contains__(self, w: str) -> bool:
        e = self.words
        if w in e:
            return True
        n = len(w)
        if n > 3 and w.endswith("s"):
            if w[:-1] in e or (w.endswith("es") and w[:-2] in e) or (w.endswith("ies") and w[:-3] + "y" in e):
                return True
        if n > 4 and w.endswith("ed"):
            if w[:-2] in e or w[:-1] in e or (w[-3] == w[-4] and w[:-3] in e) or (w.endswith("ied") and w[:-3] + "y" in e):
                return True
        if n > 5 and w.endswith("ing"):
            if w[:-3] in e or w[:-3] + "e" in e or (w[-4] == w[-5] and w[:-4] in e):
                return True
        if n > 4 and w.endswith("ly") and (w[:-2] in e or (w.endswith("ily") and w[:-3] + "y" in e)):
            return True
        if n > 4 and w.endswith(("er", "est")):
            stem = w[:-2] if w.endswith("er") else w[:-3]
            if stem in e or stem + "e" in e:
                return True
        return False


_ENGLISH_CACHE: dict[str, EnglishWords] = {}


def english_words(model: str) -> EnglishWords:
    """The English vocabulary of spaCy pipeline `model` (package name or folder), cached per process."""
    if model in _ENGLISH_CACHE:
        return _ENGLISH_CACHE[model]
    words: set[str] = set()
    try:
        from pathlib import Path

        import spacy
        from spacy.lang.en.stop_words import STOP_WORDS
        from spacy.lookups import Lookups

        root = Path(model) if Path(model).exists() else spacy.util.get_package_path(model)
        for lk in sorted(root.glob("**/lemmatizer/lookups")):
            lookups = Lookups().from_disk(lk)
            if lookups.has_table("lemma_index"):
                for v in lookups.get_table("lemma_index").values():
                    words.update(x.casefold() for x in v if x.isalpha())
            if lookups.has_table("lemma_exc"):
                for table in lookups.get_table("lemma_exc").values():
                    words.update(x.casefold() for x in table if x.isalpha())
            break
        if words:
            words.update(STOP_WORDS)
    except Exception:  # noqa: BLE001 - no tables: the rules that need them stay off
        words = set()
    out = EnglishWords(frozenset(words))
    _ENGLISH_CACHE[model] = out
    return out
