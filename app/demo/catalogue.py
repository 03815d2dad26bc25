"""Static reference data for the synthetic demo dataset: dealers, names, makes and models, service
plans, recall campaigns and workshop operations.

Everything here is plain data; ``generator.py`` draws from it with a seeded ``random.Random``.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Dealers


@dataclass(frozen=True, slots=True)
class DealerSpec:
    code: str
    name: str
    group: str
    country: str
    city_letters: str  # registration-plate region letters (CZ) or region codes (UA)
    capacity: int
    opening_hours: dict[str, list[list[str]]]
    settings: dict[str, int]


def _hours(
    weekday: tuple[str, str], saturday: tuple[str, str] | None
) -> dict[str, list[list[str]]]:
    days = {day: [[weekday[0], weekday[1]]] for day in ("mon", "tue", "wed", "thu", "fri")}
    hours: dict[str, list[list[str]]] = dict(days)
    hours["sat"] = [[saturday[0], saturday[1]]] if saturday else []
    hours["sun"] = []
    return hours


GROUPS: tuple[str, ...] = ("AutoCentrum", "Pohjolan Auto Oy", "Автоальянс")

DEALERS: tuple[DealerSpec, ...] = (
    DealerSpec(
        "PRG1", "AutoCentrum Praha Jih", "AutoCentrum", "CZ", "A", 24,
        _hours(("07:00", "17:00"), ("08:00", "12:00")), {},
    ),
    DealerSpec(
        "PRG2", "AutoCentrum Praha Letňany", "AutoCentrum", "CZ", "A", 20,
        _hours(("07:30", "18:00"), ("08:00", "12:00")), {},
    ),
    DealerSpec(
        "BRN1", "AutoCentrum Brno Modřice", "AutoCentrum", "CZ", "B", 18,
        _hours(("07:00", "16:30"), None), {},
    ),
    DealerSpec(
        "OVA1", "AutoCentrum Ostrava Hrabová", "AutoCentrum", "CZ", "T", 14,
        _hours(("07:00", "16:00"), None), {},
    ),
    DealerSpec(
        "PLZ1", "AutoCentrum Plzeň Borská pole", "AutoCentrum", "CZ", "P", 12,
        _hours(("07:00", "16:00"), ("08:00", "11:30")), {},
    ),
    DealerSpec(
        "HEL1", "Pohjolan Auto Helsinki Konala", "Pohjolan Auto Oy", "FI", "", 30,
        _hours(("07:00", "17:00"), ("09:00", "14:00")), {},
    ),
    DealerSpec(
        "VAN1", "Pohjolan Auto Vantaa Petikko", "Pohjolan Auto Oy", "FI", "", 22,
        _hours(("07:00", "16:00"), None), {"holdout_pct": 10},
    ),
    DealerSpec(
        "TRE1", "Pohjolan Auto Tampere Lielahti", "Pohjolan Auto Oy", "FI", "", 16,
        _hours(("07:00", "16:00"), None), {},
    ),
    DealerSpec(
        "OUL1", "Pohjolan Auto Oulu Limingantulli", "Pohjolan Auto Oy", "FI", "", 10,
        _hours(("07:30", "16:00"), None), {},
    ),
    DealerSpec(
        "KYV1", "Автоальянс Київ Оболонь", "Автоальянс", "UA", "AA", 26,
        _hours(("08:00", "19:00"), ("09:00", "16:00")), {},
    ),
    DealerSpec(
        "KYV2", "Автоальянс Київ Теремки", "Автоальянс", "UA", "KA", 18,
        _hours(("08:00", "19:00"), ("09:00", "16:00")), {},
    ),
    DealerSpec(
        "LWO1", "Автоальянс Львів", "Автоальянс", "UA", "BC", 14,
        _hours(("08:00", "18:00"), ("09:00", "14:00")), {},
    ),
    DealerSpec(
        "ODS1", "Автоальянс Одеса", "Автоальянс", "UA", "BH", 12,
        _hours(("08:00", "18:00"), ("09:00", "14:00")), {},
    ),
    DealerSpec(
        "DNP1", "Автоальянс Дніпро", "Автоальянс", "UA", "AE", 12,
        _hours(("08:00", "18:00"), None), {},
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CountrySpec:
    time_zone: str
    locale: str
    language: str
    currency: str
    labour_rate_cents: int  # per hour, in the currency
    parts_factor: float  # EUR list price -> local currency
    email_domain: str
    # Mileage multiplier (Finland drives more, Ukraine's fleet less).
    mileage_factor: float
    # Workshop invoices in whole crowns / hryvnias, in cents for euros.
    whole_units: bool


COUNTRIES: dict[str, CountrySpec] = {
    "CZ": CountrySpec("Europe/Prague", "cs", "cs", "CZK", 165_000, 25.0, "example.cz", 1.0, True),
    "FI": CountrySpec("Europe/Helsinki", "fi", "fi", "EUR", 10_500, 1.0, "example.fi", 1.1, False),
    "UA": CountrySpec("Europe/Kyiv", "uk", "uk", "UAH", 80_000, 44.0, "example.com.ua", 0.9, True),
}

# ---------------------------------------------------------------------------------------------
# People

CZ_MALE = (
    "Jan", "Petr", "Josef", "Pavel", "Martin", "Tomáš", "Jiří", "Jaroslav", "Miroslav", "Zdeněk",
    "Václav", "Michal", "František", "Jakub", "Lukáš", "David", "Ondřej", "Karel", "Milan",
    "Vojtěch", "Radek", "Stanislav", "Roman", "Aleš", "Matěj", "Vít",
)  # fmt: skip
CZ_FEMALE = (
    "Jana", "Marie", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Lucie", "Věra", "Alena",
    "Petra", "Veronika", "Jaroslava", "Tereza", "Martina", "Michaela", "Zuzana", "Ivana",
    "Monika", "Markéta", "Barbora", "Kristýna", "Šárka", "Dagmar",
)  # fmt: skip
CZ_SURNAMES = (
    ("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"),
    ("Dvořák", "Dvořáková"), ("Černý", "Černá"), ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"), ("Veselý", "Veselá"), ("Horák", "Horáková"), ("Němec", "Němcová"),
    ("Marek", "Marková"), ("Pospíšil", "Pospíšilová"), ("Pokorný", "Pokorná"),
    ("Hájek", "Hájková"), ("Král", "Králová"), ("Jelínek", "Jelínková"),
    ("Růžička", "Růžičková"), ("Beneš", "Benešová"), ("Fiala", "Fialová"),
    ("Sedláček", "Sedláčková"), ("Doležal", "Doležalová"), ("Zeman", "Zemanová"),
    ("Kolář", "Kolářová"), ("Navrátil", "Navrátilová"), ("Čermák", "Čermáková"),
    ("Vaněk", "Vaňková"), ("Urban", "Urbanová"), ("Blažek", "Blažková"), ("Kříž", "Křížová"),
    ("Kovář", "Kovářová"), ("Šimek", "Šimková"), ("Štěpánek", "Štěpánková"),
    ("Havlíček", "Havlíčková"), ("Bartoš", "Bartošová"), ("Šťastný", "Šťastná"),
)  # fmt: skip
FI_MALE = (
    "Juha", "Timo", "Matti", "Mikko", "Jari", "Antti", "Kari", "Jukka", "Mika", "Markku",
    "Pekka", "Janne", "Ville", "Tuomas", "Sami", "Heikki", "Petri", "Lauri", "Eero", "Jyrki",
    "Väinö", "Jaakko", "Onni", "Elias",
)  # fmt: skip
FI_FEMALE = (
    "Anne", "Tuula", "Päivi", "Anna", "Leena", "Ritva", "Pirjo", "Sari", "Minna", "Marja",
    "Tiina", "Riitta", "Johanna", "Laura", "Satu", "Hanna", "Elina", "Jenni", "Sanna", "Aino",
    "Kyllikki", "Säde", "Helmi", "Ella",
)  # fmt: skip
FI_SURNAMES = tuple(
    (name, name)
    for name in (
        "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
        "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen",
        "Heinonen", "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen",
        "Tuominen", "Rantanen", "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen",
        "Ahonen", "Kärkkäinen", "Räsänen", "Väisänen", "Pölönen", "Öhman",
    )
)  # fmt: skip
UA_MALE = (
    "Олександр", "Андрій", "Сергій", "Володимир", "Дмитро", "Іван", "Михайло", "Юрій", "Олег",
    "Віктор", "Микола", "Василь", "Богдан", "Тарас", "Максим", "Артем", "Євген", "Ігор",
    "Роман", "Петро", "Ярослав", "Григорій",
)  # fmt: skip
UA_FEMALE = (
    "Олена", "Наталія", "Тетяна", "Ірина", "Оксана", "Юлія", "Світлана", "Людмила", "Марія",
    "Анна", "Ганна", "Катерина", "Галина", "Вікторія", "Анастасія", "Софія", "Дарина",
    "Надія", "Лариса", "Ївга",
)  # fmt: skip
UA_SURNAMES = (
    ("Шевченко", "Шевченко"), ("Коваленко", "Коваленко"), ("Бондаренко", "Бондаренко"),
    ("Ткаченко", "Ткаченко"), ("Кравченко", "Кравченко"), ("Бойко", "Бойко"),
    ("Коваль", "Коваль"), ("Олійник", "Олійник"), ("Шевчук", "Шевчук"),
    ("Поліщук", "Поліщук"), ("Лисенко", "Лисенко"), ("Мельник", "Мельник"),
    ("Кравчук", "Кравчук"), ("Савченко", "Савченко"), ("Руденко", "Руденко"),
    ("Марченко", "Марченко"), ("Мороз", "Мороз"), ("Петренко", "Петренко"),
    ("Гончаренко", "Гончаренко"), ("Павленко", "Павленко"), ("Іваненко", "Іваненко"),
    ("Ткачук", "Ткачук"), ("Клименко", "Клименко"), ("Левченко", "Левченко"),
    ("Ковальський", "Ковальська"), ("Яковлєв", "Яковлєва"), ("Білий", "Біла"),
    ("Заїка", "Заїка"), ("Гнатюк", "Гнатюк"), ("Дорошенко", "Дорошенко"),
)  # fmt: skip

NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "CZ": (CZ_MALE, CZ_FEMALE, CZ_SURNAMES),
    "FI": (FI_MALE, FI_FEMALE, FI_SURNAMES),
    "UA": (UA_MALE, UA_FEMALE, UA_SURNAMES),
}

COMPANY_PATTERNS: dict[str, tuple[str, ...]] = {
    "CZ": ("{0} s.r.o.", "Autodoprava {0} s.r.o.", "Stavby {0} a.s.", "{0} & syn s.r.o."),
    "FI": ("{0} Oy", "Kuljetus {0} Oy", "Rakennus {0} Oy", "{0} Ky"),
    "UA": ("ТОВ «{0}-Транс»", "ФОП {0}", "ТОВ «Буд{0}»", "ПП «{0} і партнери»"),
}

# Mobile prefixes after the country code (all valid for libphonenumber), and landline prefixes
# with the number of subscriber digits that follow them.
MOBILE_PREFIXES: dict[str, tuple[str, ...]] = {
    "CZ": ("601", "602", "603", "604", "605", "606", "607", "608", "702", "704", "720", "721",
           "723", "724", "728", "731", "732", "733", "736", "737", "739", "773", "775", "777",
           "792", "797"),
    "FI": ("40", "41", "44", "45", "46", "50"),
    "UA": ("50", "66", "95", "99", "67", "68", "96", "97", "98", "63", "73", "93"),
}  # fmt: skip
MOBILE_DIGITS: dict[str, int] = {"CZ": 6, "FI": 7, "UA": 7}
COUNTRY_CODES: dict[str, str] = {"CZ": "+420", "FI": "+358", "UA": "+380"}
LANDLINE_PREFIXES: dict[str, tuple[tuple[str, int], ...]] = {
    "CZ": (("2", 8), ("54", 7), ("59", 7), ("37", 7)),
    "FI": (("9", 7), ("3", 7), ("8", 7)),
    "UA": (("44", 7), ("32", 7), ("48", 7), ("56", 7)),
}

# Ukrainian national transliteration (2010), for e-mail addresses.
UA_TRANSLIT: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": "",
}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Vehicles


@dataclass(frozen=True, slots=True)
class ModelSpec:
    make: str
    model: str
    wmi: str
    vds: tuple[str, ...]  # positions 4-8 of the VIN
    fuels: tuple[tuple[str, int], ...]  # (fuel, weight)
    since: int  # first model year sold
    weight: int  # share within the make


@dataclass(frozen=True, slots=True)
class MakeSpec:
    make: str
    warranty_months: int
    warranty_km: int | None
    price_factor: float
    # Battery/powertrain warranty for electrified cars: (months, km).
    powertrain: tuple[int, int] | None
    # Share of vehicles that report telematics odometer readings (of model year 2019+).
    telematics: float


MAKES: dict[str, MakeSpec] = {
    "Skoda": MakeSpec("Skoda", 24, None, 1.0, (96, 160_000), 0.12),
    "Volkswagen": MakeSpec("Volkswagen", 24, None, 1.1, (96, 160_000), 0.15),
    "Toyota": MakeSpec("Toyota", 36, 100_000, 1.05, (96, 160_000), 0.2),
    "Hyundai": MakeSpec("Hyundai", 60, None, 1.0, (96, 160_000), 0.15),
    "Kia": MakeSpec("Kia", 84, 150_000, 1.0, (84, 150_000), 0.15),
    "Renault": MakeSpec("Renault", 24, None, 0.95, (96, 160_000), 0.1),
    "Dacia": MakeSpec("Dacia", 36, 100_000, 0.8, None, 0.05),
    "BMW": MakeSpec("BMW", 24, None, 1.4, (96, 160_000), 0.5),
    "Tesla": MakeSpec("Tesla", 48, 80_000, 1.2, (96, 192_000), 0.95),
    "Ford": MakeSpec("Ford", 24, None, 1.0, (96, 160_000), 0.12),
}

_P, _D, _H = "petrol", "diesel", "hybrid"
_PH, _E, _C = "plugin_hybrid", "electric", "cng"

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("Skoda", "Octavia", "TMB", ("JJ7NE", "JG7NX", "AG7NE", "ER9NE"),
              ((_P, 55), (_D, 33), (_C, 5), (_PH, 7)), 2008, 34),
    ModelSpec("Skoda", "Fabia", "TMB", ("EA6NJ", "JF6NJ", "EP6NJ"), ((_P, 100),), 2008, 18),
    ModelSpec("Skoda", "Superb", "TMB", ("AH7NP", "JH9NP", "CH7NP"),
              ((_P, 35), (_D, 50), (_PH, 15)), 2009, 12),
    ModelSpec("Skoda", "Kodiaq", "TMB", ("JJ7NS", "LJ9NS"), ((_P, 45), (_D, 55)), 2017, 12),
    ModelSpec("Skoda", "Karoq", "TMB", ("JA7NU", "LA9NU"), ((_P, 60), (_D, 40)), 2018, 10),
    ModelSpec("Skoda", "Kamiq", "TMB", ("JA7NW", "GA7NW"), ((_P, 100),), 2020, 6),
    ModelSpec("Skoda", "Enyaq", "TMB", ("JC9NY", "HC9NY"), ((_E, 100),), 2021, 8),
    ModelSpec("Volkswagen", "Golf", "WVW", ("ZZZ1K", "ZZZAU", "ZZZCD"),
              ((_P, 60), (_D, 30), (_PH, 10)), 2008, 30),
    ModelSpec("Volkswagen", "Passat", "WVW", ("ZZZ3C", "ZZZ3G"), ((_P, 30), (_D, 70)), 2008, 16),
    ModelSpec("Volkswagen", "Polo", "WVW", ("ZZZ6R", "ZZZAW"), ((_P, 100),), 2009, 16),
    ModelSpec("Volkswagen", "Tiguan", "WVG", ("ZZZ5N", "ZZZAD"), ((_P, 45), (_D, 55)), 2008, 18),
    ModelSpec("Volkswagen", "ID.3", "WVW", ("ZZZE1", "ZZZE2"), ((_E, 100),), 2020, 10),
    ModelSpec("Volkswagen", "ID.4", "WVG", ("ZZZE2", "ZZZEB"), ((_E, 100),), 2021, 10),
    ModelSpec("Toyota", "Corolla", "SB1", ("Z93BE", "K56BE", "ZB3BE"),
              ((_H, 75), (_P, 25)), 2008, 34),
    ModelSpec("Toyota", "Yaris", "VNK", ("KL3D3", "BD3A0", "J93D3"), ((_H, 60), (_P, 40)),
              2008, 24),
    ModelSpec("Toyota", "RAV4", "JTM", ("W1RFV", "RFREV", "W3RFV"),
              ((_H, 75), (_PH, 10), (_P, 15)), 2009, 22),
    ModelSpec("Toyota", "C-HR", "NMT", ("KZ3BX", "KZ6BX"), ((_H, 100),), 2017, 12),
    ModelSpec("Toyota", "Camry", "JTN", ("B3HK5", "B9HK5"), ((_H, 100),), 2019, 8),
    ModelSpec("Hyundai", "i30", "TMA", ("H51DA", "H81DB", "D51CA"), ((_P, 75), (_D, 25)), 2008, 30),
    ModelSpec("Hyundai", "Tucson", "TMA", ("J81DB", "J3A1A", "JC8EA"),
              ((_P, 40), (_D, 30), (_H, 20), (_PH, 10)), 2010, 30),
    ModelSpec("Hyundai", "Kona", "TMA", ("K81DA", "K3A1A"), ((_E, 50), (_H, 25), (_P, 25)),
              2018, 16),
    ModelSpec("Hyundai", "i20", "NLH", ("B51BP", "B81BP"), ((_P, 100),), 2009, 12),
    ModelSpec("Hyundai", "Ioniq 5", "KMH", ("KN81C", "KM81C"),
              ((_E, 100),), 2021, 12),
    ModelSpec("Kia", "Ceed", "U5Y", ("H5181", "H6171", "HT511"), ((_P, 70), (_D, 30)), 2008, 30),
    ModelSpec("Kia", "Sportage", "U5Y", ("PK81A", "P3A1A", "PG811"),
              ((_P, 40), (_D, 30), (_H, 20), (_PH, 10)), 2010, 30),
    ModelSpec("Kia", "Niro", "KNA", ("CC81C", "CB81C", "CH81C"), ((_H, 50), (_E, 40), (_PH, 10)),
              2017, 18),
    ModelSpec("Kia", "EV6", "KNA", ("C381A", "C481A"), ((_E, 100),), 2021, 10),
    ModelSpec("Kia", "Picanto", "KNA", ("B351A", "BA51A"), ((_P, 100),), 2008, 12),
    ModelSpec("Renault", "Clio", "VF1", ("RJA00", "BH0A1", "R5A00"),
              ((_P, 70), (_D, 15), (_H, 15)), 2008, 30),
    ModelSpec("Renault", "Captur", "VF1", ("RJB00", "2R0A1"), ((_P, 70), (_D, 15), (_PH, 15)),
              2013, 26),
    ModelSpec("Renault", "Megane", "VF1", ("BB000", "RFB00", "RCB0E"),
              ((_P, 50), (_D, 35), (_E, 15)), 2008, 26),
    ModelSpec("Renault", "Arkana", "VF1", ("RJL00", "RJL0H"), ((_H, 60), (_P, 40)), 2021, 18),
    ModelSpec("Dacia", "Duster", "UU1", ("HSDJL", "HSDJ1", "HM4A0"),
              ((_P, 60), (_D, 30), (_C, 10)), 2010, 55),
    ModelSpec("Dacia", "Sandero", "UU1", ("5SDA2", "DJF00", "DJF0L"), ((_P, 85), (_C, 15)),
              2008, 45),
    ModelSpec("BMW", "3 Series", "WBA", ("8E110", "5R510", "3C310"),
              ((_P, 40), (_D, 45), (_PH, 15)), 2008, 34),
    ModelSpec("BMW", "5 Series", "WBA", ("JR110", "5E510", "FR710"),
              ((_P, 30), (_D, 60), (_PH, 10)), 2008, 20),
    ModelSpec("BMW", "X1", "WBA", ("HT110", "VX310", "71810"), ((_P, 50), (_D, 50)), 2010, 18),
    ModelSpec("BMW", "X5", "5UX", ("CR6C5", "KR0C5", "TA6C0"), ((_D, 60), (_P, 20), (_PH, 20)),
              2008, 16),
    ModelSpec("BMW", "i4", "WBY", ("31AW0", "71AW0"), ((_E, 100),), 2022, 12),
    ModelSpec("Tesla", "Model 3", "5YJ", ("3E7EA", "3E7EB", "3F7EB"), ((_E, 100),), 2019, 50),
    ModelSpec("Tesla", "Model Y", "XP7", ("YGCEK", "YGCEL"), ((_E, 100),), 2022, 40),
    ModelSpec("Tesla", "Model S", "5YJ", ("SA7E2", "SB7E2"), ((_E, 100),), 2014, 10),
    ModelSpec("Ford", "Focus", "WF0", ("5XXGC", "XXGCD", "NXXGC"), ((_P, 70), (_D, 30)), 2008, 40),
    ModelSpec("Ford", "Kuga", "WF0", ("AXXWP", "MXXWP", "GXXWP"), ((_P, 40), (_D, 30), (_PH, 30)),
              2010, 40),
    ModelSpec("Ford", "Mustang Mach-E", "3FM", ("TK3SU", "TK4SU"), ((_E, 100),), 2021, 20),
)  # fmt: skip

# Make shares per country (percent).
MAKE_SHARES: dict[str, tuple[tuple[str, int], ...]] = {
    "CZ": (("Skoda", 34), ("Volkswagen", 14), ("Hyundai", 12), ("Toyota", 9), ("Kia", 8),
           ("Ford", 6), ("Renault", 5), ("Dacia", 5), ("BMW", 5), ("Tesla", 2)),
    "FI": (("Toyota", 25), ("Volkswagen", 14), ("Skoda", 12), ("Kia", 10), ("BMW", 9),
           ("Tesla", 8), ("Hyundai", 7), ("Ford", 6), ("Renault", 5), ("Dacia", 4)),
    "UA": (("Toyota", 20), ("Renault", 12), ("Skoda", 13), ("Volkswagen", 12), ("Hyundai", 11),
           ("Kia", 11), ("Dacia", 6), ("BMW", 6), ("Ford", 5), ("Tesla", 4)),
}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Service plans: (make, model, fuel, first_service_days, first_service_km, months, km)

SERVICE_PLANS: tuple[tuple[str, str, str, int, int | None, int, int], ...] = (
    ("*", "*", "*", 30, None, 12, 15_000),
    ("Skoda", "Octavia", "petrol", 30, None, 12, 15_000),
    ("Skoda", "Octavia", "diesel", 30, None, 12, 15_000),
    ("Skoda", "Superb", "diesel", 30, None, 24, 30_000),
    ("Skoda", "Enyaq", "electric", 30, None, 24, 30_000),
    ("Volkswagen", "Golf", "petrol", 30, None, 12, 15_000),
    ("Volkswagen", "Golf", "diesel", 30, None, 24, 30_000),
    ("Volkswagen", "*", "electric", 30, None, 24, 30_000),
    ("Toyota", "Corolla", "hybrid", 30, None, 12, 15_000),
    ("Toyota", "*", "hybrid", 30, None, 12, 15_000),
    ("Hyundai", "*", "*", 30, None, 12, 15_000),
    ("Hyundai", "*", "electric", 30, None, 24, 30_000),
    ("Kia", "*", "*", 30, None, 12, 15_000),
    ("Kia", "*", "electric", 30, None, 24, 30_000),
    ("Renault", "*", "*", 30, None, 12, 20_000),
    ("Renault", "Clio", "petrol", 30, None, 12, 20_000),
    ("Dacia", "*", "*", 30, None, 12, 15_000),
    ("BMW", "*", "*", 30, None, 24, 30_000),
    ("BMW", "3 Series", "diesel", 30, None, 24, 30_000),
    ("Tesla", "*", "electric", 30, None, 24, 40_000),
    ("Ford", "*", "*", 30, 1_500, 12, 20_000),
)

# ---------------------------------------------------------------------------------------------
# Recall campaigns: (code, make, models, model years (from, to), title, component,
#                    remedy_available, start (days before as_of), affected share)

Recall = tuple[str, str, tuple[str, ...], tuple[int, int], str, str, bool, int, float]

RECALLS: tuple[Recall, ...] = (
    ("24V051000", "Tesla", ("Model 3", "Model Y", "Model S"), (2019, 2024),
     "Brake, park and ABS warning light font size too small", "Instrument cluster", True, 320, 0.9),
    ("25V043000", "Tesla", ("Model 3", "Model Y"), (2023, 2025),
     "Loss of power steering assist on rough roads", "Steering", True, 75, 0.6),
    ("24V117000", "Hyundai", ("Ioniq 5",), (2021, 2024),
     "Integrated charging control unit may fail, causing loss of drive power", "Electrical",
     True, 260, 0.85),
    ("24V118000", "Kia", ("EV6",), (2021, 2024),
     "Integrated charging control unit may fail, causing loss of drive power", "Electrical",
     True, 255, 0.85),
    ("23V712000", "Ford", ("Kuga",), (2020, 2023),
     "High-voltage battery cell may overheat", "Hybrid battery", True, 540, 0.5),
    ("25V089000", "Toyota", ("RAV4", "C-HR"), (2022, 2025),
     "Hybrid inverter may overheat and switch to limp mode", "Power electronics", False, 40, 0.4),
    ("SK-47R3", "Skoda", ("Octavia", "Superb", "Kodiaq"), (2019, 2022),
     "Airbag control unit software update", "Airbags", True, 400, 0.3),
    ("SK-69Q5", "Skoda", ("Fabia", "Kamiq", "Octavia"), (2021, 2025),
     "Rear seat belt buckle may not latch", "Seat belts", True, 120, 0.15),
    ("VW-97GY", "Volkswagen", ("Golf", "Tiguan", "Passat"), (2017, 2021),
     "Fuel pump relay may fail", "Fuel system", True, 700, 0.25),
    ("RN-0EF4", "Renault", ("Clio", "Captur"), (2019, 2023),
     "Engine oil pump drive chain may wear prematurely", "Engine", True, 200, 0.2),
    ("BM-0032730600", "BMW", ("3 Series", "5 Series", "X5"), (2019, 2023),
     "Exhaust gas recirculation cooler may leak", "Engine", True, 900, 0.35),
    ("KI-SC324", "Kia", ("Ceed", "Sportage"), (2018, 2021),
     "Hydraulic electronic control unit may short-circuit", "Brakes", True, 30, 0.3),
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Workshop operations: op code -> (service kind, labour hours (min, max), parts EUR (min, max),
#                                  descriptions per language)

OPS: dict[str, tuple[str, float, float, int, int, dict[str, str]]] = {
    "SRV-A": ("maintenance", 1.0, 1.8, 60, 160, {
        "cs": "Pravidelný servis – výměna oleje a filtrů", "fi": "Määräaikaishuolto, öljynvaihto",
        "uk": "Планове ТО – заміна оливи та фільтрів"}),
    "SRV-B": ("maintenance", 2.0, 3.5, 140, 320, {
        "cs": "Velký servis – olej, filtry, svíčky", "fi": "Laaja määräaikaishuolto",
        "uk": "Розширене ТО – олива, фільтри, свічки"}),
    "SRV-EV": ("maintenance", 0.8, 1.5, 20, 90, {
        "cs": "Servisní prohlídka elektromobilu", "fi": "Sähköauton määräaikaishuolto",
        "uk": "Планове ТО електромобіля"}),
    "BRK-FLD": ("maintenance", 0.5, 0.8, 15, 30, {
        "cs": "Výměna brzdové kapaliny", "fi": "Jarrunesteen vaihto",
        "uk": "Заміна гальмівної рідини"}),
    "FLT-CAB": ("maintenance", 0.2, 0.4, 20, 45, {
        "cs": "Výměna pylového filtru", "fi": "Raitisilmasuodattimen vaihto",
        "uk": "Заміна салонного фільтра"}),
    "WIP-BLD": ("maintenance", 0.1, 0.2, 25, 60, {
        "cs": "Stírací lišty", "fi": "Pyyhkijänsulat", "uk": "Щітки склоочисника"}),
    "AC-SRV": ("maintenance", 0.6, 1.0, 30, 70, {
        "cs": "Servis klimatizace", "fi": "Ilmastointihuolto",
        "uk": "Обслуговування кондиціонера"}),
    "FIRST-CHK": ("inspection", 0.5, 0.5, 0, 0, {
        "cs": "Bezplatná prohlídka po 30 dnech", "fi": "Maksuton 30 päivän tarkastus",
        "uk": "Безкоштовний огляд через 30 днів"}),
    "INSP-TECH": ("inspection", 1.0, 1.5, 0, 40, {
        "cs": "Příprava a přistavení na STK", "fi": "Katsastuskäsittely",
        "uk": "Підготовка до техогляду"}),
    "BRK-PAD": ("repair", 1.0, 2.0, 90, 260, {
        "cs": "Výměna brzdových destiček a kotoučů", "fi": "Jarrupalojen ja -levyjen vaihto",
        "uk": "Заміна гальмівних колодок і дисків"}),
    "BAT-12V": ("repair", 0.3, 0.6, 110, 220, {
        "cs": "Výměna autobaterie 12 V", "fi": "12 V akun vaihto",
        "uk": "Заміна акумулятора 12 В"}),
    "SUS-ARM": ("repair", 1.5, 3.0, 120, 380, {
        "cs": "Výměna ramene nápravy", "fi": "Tukivarren vaihto", "uk": "Заміна важеля підвіски"}),
    "EXH-REP": ("repair", 1.0, 2.5, 80, 420, {
        "cs": "Oprava výfukového systému", "fi": "Pakoputkiston korjaus",
        "uk": "Ремонт вихлопної системи"}),
    "ELE-DIAG": ("repair", 0.5, 2.0, 0, 150, {
        "cs": "Diagnostika elektroinstalace", "fi": "Sähkövian diagnoosi",
        "uk": "Діагностика електрообладнання"}),
    "CLU-REP": ("repair", 4.0, 7.0, 350, 900, {
        "cs": "Výměna spojkové sady", "fi": "Kytkinsarjan vaihto",
        "uk": "Заміна комплекту зчеплення"}),
    "WSC-REP": ("repair", 1.5, 2.5, 250, 700, {
        "cs": "Výměna čelního skla", "fi": "Tuulilasin vaihto", "uk": "Заміна лобового скла"}),
    "TYR-SWAP": ("tyres", 0.5, 0.8, 0, 10, {
        "cs": "Sezónní přezutí pneumatik", "fi": "Kausirenkaiden vaihto",
        "uk": "Сезонна заміна шин"}),
    "TYR-HOTEL": ("tyres", 0.0, 0.0, 20, 35, {
        "cs": "Uskladnění pneumatik (pneuhotel)", "fi": "Rengashotelli",
        "uk": "Зберігання шин (шиноготель)"}),
    "TYR-NEW": ("tyres", 0.6, 1.0, 280, 760, {
        "cs": "Nové pneumatiky – sada", "fi": "Uudet renkaat, sarja",
        "uk": "Нові шини – комплект"}),
    "RECALL": ("recall", 0.5, 2.5, 0, 150, {
        "cs": "Svolávací akce", "fi": "Takaisinkutsukampanja",
        "uk": "Сервісна кампанія (відкликання)"}),
}  # fmt: skip

REPAIR_OPS: tuple[str, ...] = (
    "BRK-PAD", "BRK-PAD", "BAT-12V", "SUS-ARM", "EXH-REP", "ELE-DIAG", "ELE-DIAG", "CLU-REP",
    "WSC-REP",
)  # fmt: skip

# Seasonal tyre-change peaks (month, day) per country: spring and autumn.
TYRE_SEASONS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "CZ": ((4, 5), (10, 25)),
    "FI": ((4, 20), (11, 5)),
    "UA": ((3, 25), (11, 1)),
}
