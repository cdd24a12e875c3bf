"""Word pools the demo generator draws from: names, places, products, devices.

Plain data, no logic. The shop is a small Greek delicatessen that also ships to the UK and
the rest of the EU, so about half the customers write in Greek script. Phone numbers use
fictional ranges where a country reserves one (UK 07700 900xxx).
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple


class Place(NamedTuple):
    """A city with the WooCommerce state code and the postcodes used for it."""

    city: str
    city_latin: str
    state: str
    postcodes: tuple[str, ...]


class Country(NamedTuple):
    """Everything needed to invent a plausible customer from one country."""

    code: str
    weight: float
    male_first: tuple[tuple[str, str], ...]  # (as written, latin for the email)
    female_first: tuple[tuple[str, str], ...]
    # (male form, female form, latin for the email)
    last: tuple[tuple[str, str, str], ...]
    places: tuple[Place, ...]
    streets: tuple[str, ...]
    street_number_first: bool
    phone_formats: tuple[str, ...]  # "#" is a random digit
    email_domains: tuple[str, ...]
    vat_percent: int


def ascii_local_part(name: str) -> str:
    """A name as people write it in an email address: ``Müller`` -> ``muller``."""
    folded = unicodedata.normalize("NFKD", name.lower().replace("ß", "ss"))
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def _same(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((n, ascii_local_part(n)) for n in names)


def _plain_last(*names: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((n, n, ascii_local_part(n)) for n in names)


GREEK_MALE = (
    ("Γιώργος", "giorgos"),
    ("Δημήτρης", "dimitris"),
    ("Κωνσταντίνος", "konstantinos"),
    ("Νίκος", "nikos"),
    ("Γιάννης", "giannis"),
    ("Χρήστος", "christos"),
    ("Παναγιώτης", "panagiotis"),
    ("Βασίλης", "vasilis"),
    ("Αθανάσιος", "athanasios"),
    ("Μιχάλης", "michalis"),
    ("Σπύρος", "spyros"),
    ("Ευάγγελος", "evangelos"),
    ("Αλέξανδρος", "alexandros"),
    ("Στέλιος", "stelios"),
    ("Θοδωρής", "thodoris"),
    ("Ανδρέας", "andreas"),
)
GREEK_FEMALE = (
    ("Μαρία", "maria"),
    ("Ελένη", "eleni"),
    ("Αικατερίνη", "aikaterini"),
    ("Βασιλική", "vasiliki"),
    ("Σοφία", "sofia"),
    ("Αγγελική", "aggeliki"),
    ("Γεωργία", "georgia"),
    ("Δέσποινα", "despoina"),
    ("Κωνσταντίνα", "konstantina"),
    ("Χριστίνα", "christina"),
    ("Παναγιώτα", "panagiota"),
    ("Ειρήνη", "eirini"),
    ("Δήμητρα", "dimitra"),
    ("Αναστασία", "anastasia"),
    ("Ευαγγελία", "evaggelia"),
)
GREEK_LAST = (
    ("Παπαδόπουλος", "Παπαδοπούλου", "papadopoulos"),
    ("Παπαδάκης", "Παπαδάκη", "papadakis"),
    ("Γεωργίου", "Γεωργίου", "georgiou"),
    ("Οικονόμου", "Οικονόμου", "oikonomou"),
    ("Νικολάου", "Νικολάου", "nikolaou"),
    ("Παπαγεωργίου", "Παπαγεωργίου", "papageorgiou"),
    ("Βασιλείου", "Βασιλείου", "vasileiou"),
    ("Καραγιάννης", "Καραγιάννη", "karagiannis"),
    ("Αθανασίου", "Αθανασίου", "athanasiou"),
    ("Δημητρίου", "Δημητρίου", "dimitriou"),
    ("Ιωάννου", "Ιωάννου", "ioannou"),
    ("Μακρής", "Μακρή", "makris"),
    ("Κωνσταντινίδης", "Κωνσταντινίδου", "konstantinidis"),
    ("Αλεξίου", "Αλεξίου", "alexiou"),
    ("Σταυρόπουλος", "Σταυροπούλου", "stavropoulos"),
    ("Χατζηδάκης", "Χατζηδάκη", "chatzidakis"),
    ("Αντωνίου", "Αντωνίου", "antoniou"),
    ("Πετρόπουλος", "Πετροπούλου", "petropoulos"),
    ("Χαραλάμπους", "Χαραλάμπους", "charalambous"),
    ("Χριστοδούλου", "Χριστοδούλου", "christodoulou"),
)
GREEK_STREETS = (
    "Ερμού",
    "Σταδίου",
    "Πανεπιστημίου",
    "Αγίου Δημητρίου",
    "Εγνατίας",
    "Τσιμισκή",
    "Λεωφ. Κηφισίας",
    "Βασιλίσσης Σοφίας",
    "Πατησίων",
    "Ακαδημίας",
    "Μητροπόλεως",
    "Αριστοτέλους",
    "25ης Μαρτίου",
    "Ελευθερίου Βενιζέλου",
    "Κολοκοτρώνη",
    "Παπαναστασίου",
)

COUNTRIES: tuple[Country, ...] = (
    Country(
        code="GR",
        weight=0.42,
        male_first=GREEK_MALE,
        female_first=GREEK_FEMALE,
        last=GREEK_LAST,
        places=(
            Place("Αθήνα", "Athina", "I", ("105 57", "106 71", "112 53", "114 71", "115 21")),
            Place("Θεσσαλονίκη", "Thessaloniki", "B", ("546 21", "546 22", "546 35", "551 33")),
            Place("Πάτρα", "Patra", "G", ("262 21", "262 22", "264 42")),
            Place("Ηράκλειο", "Irakleio", "M", ("712 01", "712 02", "713 05")),
            Place("Λάρισα", "Larisa", "E", ("412 21", "412 22")),
            Place("Βόλος", "Volos", "E", ("382 21", "383 33")),
            Place("Ιωάννινα", "Ioannina", "D", ("452 21", "453 32")),
            Place("Χανιά", "Chania", "M", ("731 32", "731 35")),
            Place("Πειραιάς", "Peiraias", "I", ("185 31", "185 36")),
            Place("Κέρκυρα", "Kerkyra", "F", ("491 00", "491 32")),
            Place("Ρόδος", "Rodos", "L", ("851 00", "851 31")),
        ),
        streets=GREEK_STREETS,
        street_number_first=False,
        phone_formats=("69########", "+30 69########", "+3069########", "210 ### ####"),
        email_domains=("gmail.com", "yahoo.gr", "hotmail.com", "otenet.gr", "windowslive.com"),
        vat_percent=24,
    ),
    Country(
        code="GB",
        weight=0.2,
        male_first=_same("James", "Oliver", "Harry", "Jack", "George", "Charlie", "Thomas", "Seán"),
        female_first=_same("Emily", "Olivia", "Amelia", "Isla", "Sophie", "Grace", "Siobhan"),
        last=_plain_last(
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Davies",
            "Evans",
            "Roberts",
            "O'Brien",
            "O'Connor",
            "McDonald",
        ),
        places=(
            Place("London", "London", "", ("SW1A", "EC1A", "W1D", "N1", "E14", "SE10", "NW3")),
            Place("Manchester", "Manchester", "Greater Manchester", ("M1", "M4", "M20")),
            Place("Birmingham", "Birmingham", "West Midlands", ("B1", "B15", "B33")),
            Place("Edinburgh", "Edinburgh", "", ("EH1", "EH3", "EH9")),
            Place("Bristol", "Bristol", "", ("BS1", "BS8")),
            Place("Leeds", "Leeds", "West Yorkshire", ("LS1", "LS6")),
            Place("Cardiff", "Cardiff", "", ("CF10", "CF24")),
        ),
        streets=(
            "High Street",
            "Station Road",
            "Church Lane",
            "Victoria Road",
            "Park Avenue",
            "Queen's Road",
            "King Street",
            "Mill Lane",
        ),
        street_number_first=True,
        phone_formats=("+44 7700 900###", "07700 900###", "+447700900###"),
        email_domains=("gmail.com", "outlook.com", "btinternet.com", "yahoo.co.uk"),
        vat_percent=20,
    ),
    Country(
        code="DE",
        weight=0.1,
        male_first=_same("Lukas", "Leon", "Finn", "Jonas", "Maximilian", "Jürgen"),
        female_first=_same("Anna", "Lena", "Hannah", "Sophie", "Käthe", "Mia"),
        last=_plain_last(
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Schäfer"
        ),
        places=(
            Place("Berlin", "Berlin", "DE-BE", ("10115", "10437", "10965", "12043")),
            Place("München", "Muenchen", "DE-BY", ("80331", "80469", "81541")),
            Place("Hamburg", "Hamburg", "DE-HH", ("20095", "20357", "22767")),
            Place("Köln", "Koeln", "DE-NW", ("50667", "50823")),
            Place("Frankfurt am Main", "Frankfurt", "DE-HE", ("60311", "60594")),
        ),
        streets=("Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße", "Lindenweg"),
        street_number_first=False,
        phone_formats=("+49 151 ########", "0151 ########", "+4917#########"),
        email_domains=("gmx.de", "web.de", "gmail.com", "t-online.de"),
        vat_percent=19,
    ),
    Country(
        code="FR",
        weight=0.08,
        male_first=_same("Lucas", "Hugo", "Louis", "Gabriel", "Théo"),
        female_first=_same("Emma", "Léa", "Chloé", "Manon", "Camille", "Zoé"),
        last=_plain_last("Martin", "Bernard", "Dubois", "Durand", "Leroy", "Moreau", "Lefèvre"),
        places=(
            Place("Paris", "Paris", "", ("75001", "75008", "75011", "75015", "75018")),
            Place("Lyon", "Lyon", "", ("69001", "69003", "69007")),
            Place("Marseille", "Marseille", "", ("13001", "13006", "13008")),
            Place("Nice", "Nice", "", ("06000", "06100", "06300")),
        ),
        streets=("rue de Rivoli", "avenue Jean Jaurès", "rue de la République", "bd Voltaire"),
        street_number_first=True,
        phone_formats=("+33 6 ## ## ## ##", "06 ## ## ## ##", "+337########"),
        email_domains=("orange.fr", "free.fr", "gmail.com", "laposte.net"),
        vat_percent=20,
    ),
    Country(
        code="IT",
        weight=0.08,
        male_first=_same("Marco", "Luca", "Giuseppe", "Francesco", "Alessandro"),
        female_first=_same("Giulia", "Francesca", "Chiara", "Sara", "Martina"),
        last=_plain_last("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Ricci", "D'Angelo"),
        places=(
            Place("Roma", "Roma", "RM", ("00184", "00153", "00197")),
            Place("Milano", "Milano", "MI", ("20121", "20135", "20154")),
            Place("Napoli", "Napoli", "NA", ("80121", "80134")),
            Place("Torino", "Torino", "TO", ("10121", "10138")),
            Place("Firenze", "Firenze", "FI", ("50122", "50133")),
        ),
        streets=("Via Roma", "Via Garibaldi", "Corso Vittorio Emanuele II", "Via Dante"),
        street_number_first=False,
        phone_formats=("+39 3## ### ####", "3## #######"),
        email_domains=("libero.it", "gmail.com", "alice.it", "virgilio.it"),
        vat_percent=22,
    ),
    Country(
        code="ES",
        weight=0.07,
        male_first=_same("Hugo", "Martín", "Lucas", "Daniel", "Pablo"),
        female_first=_same("Lucía", "Sofía", "María", "Martina", "Paula"),
        last=_plain_last("García", "Fernández", "González", "Rodríguez", "López", "Martínez"),
        places=(
            Place("Madrid", "Madrid", "M", ("28001", "28013", "28045")),
            Place("Barcelona", "Barcelona", "B", ("08001", "08013", "08036")),
            Place("Valencia", "Valencia", "V", ("46001", "46021")),
            Place("Sevilla", "Sevilla", "SE", ("41001", "41013")),
        ),
        streets=("Calle Mayor", "Gran Vía", "Calle de Alcalá", "Avenida de la Constitución"),
        street_number_first=False,
        phone_formats=("+34 6## ### ###", "6## ## ## ##"),
        email_domains=("gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"),
        vat_percent=21,
    ),
    Country(
        code="CY",
        weight=0.05,
        male_first=GREEK_MALE,
        female_first=GREEK_FEMALE,
        last=GREEK_LAST[-6:],
        places=(
            Place("Λευκωσία", "Lefkosia", "", ("1010", "1065", "2003")),
            Place("Λεμεσός", "Lemesos", "", ("3025", "3106", "4040")),
            Place("Λάρνακα", "Larnaka", "", ("6015", "6023")),
            Place("Πάφος", "Pafos", "", ("8010", "8046")),
        ),
        streets=("Λεωφ. Μακαρίου", "Αρχιεπισκόπου Κυπριανού", "Γρίβα Διγενή", "Ζήνωνος Κιτιέως"),
        street_number_first=False,
        phone_formats=("+357 99 ######", "99######", "+357 96######"),
        email_domains=("cytanet.com.cy", "gmail.com", "hotmail.com"),
        vat_percent=19,
    ),
)

UK_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

COMPANIES = (
    "Ταβέρνα Ο Μύλος",
    "Deli Corner Ltd",
    "Feinkost Weber GmbH",
    "Épicerie du Marché SARL",
    "Bottega Ricci S.r.l.",
    "Κάβα Αθηνών Ο.Ε.",
    "Olive & Co.",
)

LONG_ADDRESS_2 = (
    "Building C, 3rd floor, apartment 12, ring the bell marked 'Deliveries' and wait for the "
    "concierge; if nobody answers leave the parcel with the kiosk at the corner"
)

ADDRESS_2 = ("", "", "", "", "Flat 3", "2ος όροφος", "Διαμ. 4", "Apt 5B", "c/o Reception")

CUSTOMER_NOTES = (
    "Please ring the bell twice.",
    "Παρακαλώ καλέστε πριν την παράδοση.",
    "Gift wrap please, it's a birthday present!",
    "Leave with the neighbour at no. 12 if I'm out.",
    "Να μην χτυπήσετε το κουδούνι, κοιμάται μωρό.",
    "Bitte beim Nachbarn abgeben.",
)


class Product(NamedTuple):
    """A catalogue product; ``variation_id`` > 0 for a variation of ``parent_name``."""

    product_id: int
    variation_id: int
    name: str
    sku: str | None
    price_cents: int
    parent_name: str | None
    attributes: tuple[tuple[str, str], ...]  # order item meta (key, value)
    virtual: bool
    image_id: int


PRODUCTS: tuple[Product, ...] = (
    Product(
        101, 0, "Extra Virgin Olive Oil Koroneiki 1L", "OIL-KOR-1L", 1490, None, (), False, 501
    ),
    Product(102, 0, "Extra Virgin Olive Oil 5L Tin", "OIL-KOR-5L", 5900, None, (), False, 502),
    Product(103, 0, "Μέλι Θυμαρίσιο Κρήτης 450g", "HON-THY-450", 1250, None, (), False, 503),
    Product(104, 0, "Pine Honey 950g", "HON-PIN-950", 1890, None, (), False, 504),
    Product(105, 0, "Kalamata Olives 500g", "OLV-KAL-500", 690, None, (), False, 505),
    Product(106, 0, "Τσάι του Βουνού 50g", "TEA-SID-50", 450, None, (), False, 506),
    Product(107, 0, "Saffron Kozanis 1g", "SAF-KOZ-1", 990, None, (), False, 507),
    Product(108, 0, "Olive Oil Soap Set (3 pcs)", "SOA-SET-3", 1200, None, (), False, 508),
    Product(109, 0, "Mastiha Liqueur 500ml", "LIQ-MAS-500", 1750, None, (), False, 509),
    Product(110, 0, "Tsipouro Aged 700ml", "LIQ-TSI-700", 2400, None, (), False, 510),
    Product(
        111,
        112,
        "Ceramic Olive Dish - Large",
        "CER-DSH-L",
        2200,
        "Ceramic Olive Dish",
        (("pa_size", "large"),),
        False,
        511,
    ),
    Product(
        111,
        113,
        "Ceramic Olive Dish - Small",
        "CER-DSH-S",
        1400,
        "Ceramic Olive Dish",
        (("pa_size", "small"),),
        False,
        511,
    ),
    Product(
        114,
        115,
        "T-shirt «Ελιά» - M",
        "TSH-ELA-M",
        1900,
        "T-shirt «Ελιά»",
        (("pa_size", "m"), ("pa_colour", "olive")),
        False,
        512,
    ),
    Product(116, 0, "Gift Card €25", "GFT-25", 2500, None, (), True, 513),
    Product(117, 0, "Herb Mix (discontinued)", None, 520, None, (), False, 0),
)
# Products drawn far more often than others (olive oil and honey sell best).
PRODUCT_WEIGHTS = (18, 4, 12, 6, 10, 8, 3, 5, 4, 3, 2, 2, 3, 2, 1)

PAYMENT_METHODS = (
    # (id, title, weight)
    ("cod", "Cash on delivery", 0.28),
    ("stripe", "Credit Card (Stripe)", 0.4),
    ("bacs", "Direct bank transfer", 0.14),
    ("paypal", "PayPal", 0.18),
)

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.6422.165 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
)
DEVICE_TYPES = ("Desktop", "Mobile", "Mobile", "Desktop", "Desktop", "Desktop")

ATTRIBUTION_SOURCES = ("typein", "organic", "referral", "utm", "typein", "organic")
