"""French reference lists used to dress the synthetic CRM: first names, surnames and cities.

Everything here is an immutable tuple so that the same seed always draws the same people. Accents
are kept on purpose (Hélène, Lefèvre, Saint-Étienne): they exercise the encoding and the
standardisation steps of ingestion.
"""

from __future__ import annotations

import unicodedata

# fmt: off
FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Hélène", "Zoé", "Chloé", "Léa", "Manon", "Camille", "Inès", "Sarah", "Emma", "Louise",
    "Jade", "Alice", "Lina", "Juliette", "Margaux", "Anaïs", "Océane", "Mathilde", "Clémence",
    "Élodie", "Amélie", "Céline", "Sophie", "Nathalie", "Isabelle", "Sylvie", "Véronique",
    "Valérie", "Stéphanie", "Aurélie", "Émilie", "Laure", "Agnès", "Françoise", "Brigitte",
    "Monique", "Geneviève", "Josiane", "Noémie", "Maëlys", "Anne", "Claire", "Pauline",
    "Marion", "Julie", "Lucie", "Éloïse", "Bérénice", "Ophélie", "Gaëlle",
)

MALE_FIRST_NAMES: tuple[str, ...] = (
    "Jérôme", "Théo", "Hugo", "Lucas", "Louis", "Gabriel", "Raphaël", "Arthur", "Jules", "Noé",
    "Léo", "Adam", "Mathis", "Nathan", "Enzo", "Clément", "Maxime", "Antoine", "Benoît",
    "Sébastien", "Frédéric", "Stéphane", "Thierry", "Pascal", "Laurent", "Olivier", "Nicolas",
    "Julien", "Guillaume", "Rémi", "Cédric", "Grégoire", "Hervé", "Joël", "Loïc", "Gaël",
    "Mickaël", "François", "Éric", "Émile", "André", "Bernard", "Michel", "Patrick", "Alain",
    "Yannick", "Thibault", "Aurélien", "Jean", "Pierre",
)

SURNAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean", "Dupuy",
    "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin", "Louis",
    "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein",
    "Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles",
    "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé",
    "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien", "Prévost",
    "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Bénard", "Lebrun",
    "Hoarau", "Pelletier", "Lévêque", "Bréhault", "Côté", "Besnard", "Chauvin",
)

# (city, postal code): postal codes are text, leading zeros included.
CITIES: tuple[tuple[str, str], ...] = (
    ("Paris", "75011"), ("Paris", "75015"), ("Paris", "75018"), ("Marseille", "13008"),
    ("Lyon", "69003"), ("Lyon", "69007"), ("Toulouse", "31000"), ("Nice", "06000"),
    ("Nantes", "44000"), ("Montpellier", "34000"), ("Strasbourg", "67000"),
    ("Bordeaux", "33000"), ("Lille", "59000"), ("Rennes", "35000"), ("Reims", "51100"),
    ("Saint-Étienne", "42000"), ("Le Havre", "76600"), ("Toulon", "83000"),
    ("Grenoble", "38000"), ("Dijon", "21000"), ("Angers", "49000"), ("Nîmes", "30000"),
    ("Villeurbanne", "69100"), ("Clermont-Ferrand", "63000"), ("Aix-en-Provence", "13100"),
    ("Brest", "29200"), ("Limoges", "87000"), ("Tours", "37000"), ("Amiens", "80000"),
    ("Metz", "57000"), ("Besançon", "25000"), ("Perpignan", "66000"), ("Orléans", "45000"),
    ("Caen", "14000"), ("Rouen", "76000"), ("Nancy", "54000"), ("Annecy", "74000"),
    ("Sainte-Foy-lès-Lyon", "69110"), ("Saint-Denis", "93200"), ("Saint-Maur-des-Fossés", "94100"),
    ("Saint-Nazaire", "44600"), ("Saint-Malo", "35400"), ("Bourg-en-Bresse", "01000"),
    ("Laon", "02000"), ("Troyes", "10000"), ("Ajaccio", "20000"), ("Digne-les-Bains", "04000"),
    ("Gap", "05000"), ("Évreux", "27000"), ("Château-Thierry", "02400"), ("Vichy", "03200"),
    ("Créteil", "94000"), ("Béziers", "34500"), ("Mérignac", "33700"), ("Pessac", "33600"),
    ("Vénissieux", "69200"), ("Épinal", "88000"), ("Sète", "34200"), ("Fréjus", "83600"),
    ("Chambéry", "73000"), ("Mâcon", "71000"),
)
# fmt: on


def ascii_fold(text: str) -> str:
    """Lower-case ASCII form of a name for e-mail addresses: ``"Le Gall"`` -> ``"legall"``,
    ``"Hélène"`` -> ``"helene"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (c for c in decomposed if c.isascii() and c.isalnum())
    return "".join(kept).lower()
