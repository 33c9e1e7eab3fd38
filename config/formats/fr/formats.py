# R45: a time always names its zone ("2 décembre 2026 18:03 CET"). Only what
# differs from Django's "fr".
DATETIME_FORMAT = "j F Y H:i T"
TIME_FORMAT = "H:i T"
SHORT_DATETIME_FORMAT = "d/m/Y H:i T"
