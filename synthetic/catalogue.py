"""Static templates of the synthetic retailer: geography, category tree, brands and product words.

Names carry real accents (Crème, Jalapeño, Açaí) on purpose: they make encodings matter in the POS
exports. Every name here must stay encodable in Latin-1, because one store exports in it.
"""

from __future__ import annotations

from dataclasses import dataclass

REGIONS: tuple[tuple[str, str], ...] = (
    ("WEST", "West"),
    ("CENTRAL", "Central"),
    ("SOUTH", "South"),
    ("EAST", "East"),
)


@dataclass(frozen=True)
class City:
    name: str
    state: str
    region: str
    latitude: float
    longitude: float
    maritime: bool = False  # a mild coastal climate: warmer mean, smaller yearly swing


CITIES: tuple[City, ...] = (
    City("Seattle", "WA", "WEST", 47.61, -122.33, maritime=True),
    City("Portland", "OR", "WEST", 45.52, -122.68, maritime=True),
    City("San Francisco", "CA", "WEST", 37.77, -122.42, maritime=True),
    City("Los Angeles", "CA", "WEST", 34.05, -118.24, maritime=True),
    City("San Diego", "CA", "WEST", 32.72, -117.16, maritime=True),
    City("Phoenix", "AZ", "WEST", 33.45, -112.07),
    City("Denver", "CO", "WEST", 39.74, -104.99),
    City("Las Vegas", "NV", "WEST", 36.17, -115.14),
    City("Salt Lake City", "UT", "WEST", 40.76, -111.89),
    City("Chicago", "IL", "CENTRAL", 41.88, -87.63),
    City("Minneapolis", "MN", "CENTRAL", 44.98, -93.27),
    City("Kansas City", "MO", "CENTRAL", 39.10, -94.58),
    City("St. Louis", "MO", "CENTRAL", 38.63, -90.20),
    City("Milwaukee", "WI", "CENTRAL", 43.04, -87.91),
    City("Omaha", "NE", "CENTRAL", 41.26, -95.93),
    City("Detroit", "MI", "CENTRAL", 42.33, -83.05),
    City("Columbus", "OH", "CENTRAL", 39.96, -83.00),
    City("Houston", "TX", "SOUTH", 29.76, -95.37),
    City("Dallas", "TX", "SOUTH", 32.78, -96.80),
    City("Austin", "TX", "SOUTH", 30.27, -97.74),
    City("Atlanta", "GA", "SOUTH", 33.75, -84.39),
    City("Miami", "FL", "SOUTH", 25.76, -80.19),
    City("Tampa", "FL", "SOUTH", 27.95, -82.46),
    City("Nashville", "TN", "SOUTH", 36.16, -86.78),
    City("New Orleans", "LA", "SOUTH", 29.95, -90.07),
    City("Charlotte", "NC", "SOUTH", 35.23, -80.84),
    City("New York", "NY", "EAST", 40.71, -74.01),
    City("Boston", "MA", "EAST", 42.36, -71.06),
    City("Philadelphia", "PA", "EAST", 39.95, -75.17),
    City("Washington", "DC", "EAST", 38.91, -77.04),
    City("Baltimore", "MD", "EAST", 39.29, -76.61),
    City("Pittsburgh", "PA", "EAST", 40.44, -79.99),
    City("Newark", "NJ", "EAST", 40.74, -74.17),
    City("Hartford", "CT", "EAST", 41.77, -72.67),
)


@dataclass(frozen=True)
class StoreType:
    name: str
    share: float  # of the store network
    traffic: float  # lines per day relative to a supermarket
    assortment: float  # share of the catalogue it lists
    size_sqm: tuple[int, int]


STORE_TYPES: tuple[StoreType, ...] = (
    StoreType("Hypermarket", 0.2, 2.0, 1.0, (8_000, 15_000)),
    StoreType("Supermarket", 0.5, 1.0, 0.6, (2_500, 6_000)),
    StoreType("Express", 0.3, 0.55, 0.3, (300, 900)),
)

# Seasonal profiles a subcategory follows; demand.py turns each into a factor per day.
FLAT, SUMMER, WINTER_HOLIDAY, BACK_TO_SCHOOL, SPRING, HOT_WEATHER = range(6)
PROFILE_NAMES = ("flat", "summer", "winter_holiday", "back_to_school", "spring", "hot_weather")


@dataclass(frozen=True)
class Subcategory:
    category: str
    name: str
    price: tuple[float, float]  # list price range in USD
    margin: float  # gross margin on list price
    profile: int
    return_rate: float  # share of sold lines that come back
    extra_units: float  # mean units per line above one
    weight: float  # share of the catalogue
    lead_time: tuple[int, int]  # supplier lead time range in days
    case_pack: int
    nouns: tuple[str, ...]


SUBCATEGORIES: tuple[Subcategory, ...] = (
    Subcategory(
        "Grocery",
        "Snacks",
        (1.5, 6.0),
        0.35,
        FLAT,
        0.004,
        0.8,
        3.0,
        (2, 5),
        12,
        ("Tortilla Chips", "Jalapeño Chips", "Pretzels", "Trail Mix", "Popcorn", "Crackers"),
    ),
    Subcategory(
        "Grocery",
        "Pantry",
        (1.0, 9.0),
        0.30,
        FLAT,
        0.004,
        0.6,
        3.0,
        (3, 7),
        12,
        ("Penne Pasta", "Olive Oil", "Basmati Rice", "Tomato Sauce", "Purée de Tomate", "Lentils"),
    ),
    Subcategory(
        "Grocery",
        "Dairy",
        (1.0, 7.5),
        0.25,
        FLAT,
        0.002,
        0.5,
        2.5,
        (1, 3),
        12,
        ("Crème Fraîche", "Greek Yogurt", "Cheddar", "Gruyère", "Whole Milk", "Butter"),
    ),
    Subcategory(
        "Grocery",
        "Bakery",
        (2.0, 8.0),
        0.40,
        FLAT,
        0.002,
        0.3,
        2.0,
        (1, 2),
        6,
        ("Sourdough Loaf", "Croissants", "Brioche", "Bagels", "Pain au Chocolat"),
    ),
    Subcategory(
        "Grocery",
        "Frozen",
        (2.5, 10.0),
        0.30,
        SUMMER,
        0.002,
        0.4,
        2.0,
        (2, 5),
        6,
        ("Ice Cream", "Margherita Pizza", "Sorbet", "Piña Colada Pops", "Frozen Berries"),
    ),
    Subcategory(
        "Beverages",
        "Soft Drinks",
        (1.0, 6.0),
        0.35,
        HOT_WEATHER,
        0.003,
        1.0,
        2.5,
        (2, 5),
        24,
        ("Cola", "Lemon Soda", "Ginger Ale", "Root Beer", "Orangeade"),
    ),
    Subcategory(
        "Beverages",
        "Coffee & Tea",
        (4.0, 18.0),
        0.40,
        FLAT,
        0.004,
        0.2,
        2.0,
        (4, 9),
        12,
        ("Café Latte Beans", "Espresso Roast", "Green Tea", "Chai", "Décaf Blend"),
    ),
    Subcategory(
        "Beverages",
        "Juice",
        (2.0, 7.0),
        0.30,
        HOT_WEATHER,
        0.003,
        0.4,
        1.5,
        (2, 5),
        12,
        ("Orange Juice", "Açaí Blend", "Apple Juice", "Lemonade"),
    ),
    Subcategory(
        "Beverages",
        "Water",
        (0.8, 4.5),
        0.30,
        HOT_WEATHER,
        0.002,
        1.2,
        1.5,
        (2, 5),
        24,
        ("Spring Water", "Sparkling Water", "Mineral Water"),
    ),
    Subcategory(
        "Household",
        "Cleaning",
        (2.0, 12.0),
        0.35,
        SPRING,
        0.01,
        0.3,
        2.0,
        (4, 10),
        12,
        ("All-Purpose Cleaner", "Dish Soap", "Glass Cleaner", "Sponges"),
    ),
    Subcategory(
        "Household",
        "Paper Goods",
        (3.0, 22.0),
        0.25,
        FLAT,
        0.01,
        0.2,
        1.5,
        (4, 10),
        8,
        ("Paper Towels", "Toilet Tissue", "Napkins"),
    ),
    Subcategory(
        "Personal Care",
        "Hair Care",
        (3.0, 16.0),
        0.45,
        FLAT,
        0.02,
        0.1,
        2.0,
        (5, 12),
        12,
        ("Shampoo", "Conditioner", "Hair Gel"),
    ),
    Subcategory(
        "Personal Care",
        "Sun Care",
        (6.0, 20.0),
        0.50,
        SUMMER,
        0.02,
        0.1,
        1.0,
        (5, 12),
        12,
        ("Sunscreen SPF 30", "Sunscreen SPF 50", "After-Sun Lotion"),
    ),
    Subcategory(
        "Personal Care",
        "Oral Care",
        (2.0, 9.0),
        0.45,
        FLAT,
        0.01,
        0.2,
        1.5,
        (5, 12),
        12,
        ("Toothpaste", "Toothbrush", "Mouthwash"),
    ),
    Subcategory(
        "Electronics",
        "Headphones",
        (15.0, 220.0),
        0.30,
        WINTER_HOLIDAY,
        0.08,
        0.0,
        1.0,
        (7, 14),
        4,
        ("Wireless Earbuds", "Over-Ear Headphones", "Sport Earphones"),
    ),
    Subcategory(
        "Electronics",
        "Phone Accessories",
        (8.0, 60.0),
        0.50,
        WINTER_HOLIDAY,
        0.06,
        0.1,
        1.5,
        (7, 14),
        6,
        ("USB-C Cable", "Phone Case", "Wall Charger", "Power Bank"),
    ),
    Subcategory(
        "Electronics",
        "Small Appliances",
        (20.0, 160.0),
        0.30,
        WINTER_HOLIDAY,
        0.07,
        0.0,
        1.0,
        (7, 14),
        2,
        ("Blender", "Toaster", "Kettle", "Espresso Machine"),
    ),
    Subcategory(
        "Toys",
        "Games",
        (10.0, 60.0),
        0.40,
        WINTER_HOLIDAY,
        0.04,
        0.1,
        1.5,
        (7, 14),
        6,
        ("Board Game", "Card Game", "Puzzle 1000 pc"),
    ),
    Subcategory(
        "Toys",
        "Outdoor Toys",
        (12.0, 80.0),
        0.40,
        SUMMER,
        0.04,
        0.0,
        1.0,
        (7, 14),
        4,
        ("Water Blaster", "Kite", "Frisbee", "Sand Set"),
    ),
    Subcategory(
        "Home & Garden",
        "Kitchenware",
        (5.0, 80.0),
        0.45,
        WINTER_HOLIDAY,
        0.05,
        0.1,
        1.5,
        (6, 12),
        6,
        ("Chef's Knife", "Frying Pan", "Cutting Board", "Crêpe Pan"),
    ),
    Subcategory(
        "Home & Garden",
        "Garden",
        (5.0, 70.0),
        0.40,
        SPRING,
        0.04,
        0.3,
        1.5,
        (5, 12),
        6,
        ("Potting Soil", "Seed Kit", "Garden Hose", "Pruning Shears"),
    ),
    Subcategory(
        "Apparel",
        "Tops",
        (8.0, 40.0),
        0.55,
        FLAT,
        0.10,
        0.1,
        1.5,
        (10, 14),
        8,
        ("T-Shirt", "Polo Shirt", "Hoodie"),
    ),
    Subcategory(
        "Apparel",
        "Outerwear",
        (30.0, 150.0),
        0.55,
        WINTER_HOLIDAY,
        0.12,
        0.0,
        1.0,
        (10, 14),
        4,
        ("Rain Jacket", "Puffer Jacket", "Fleece"),
    ),
    Subcategory(
        "Apparel",
        "Swimwear",
        (15.0, 50.0),
        0.55,
        SUMMER,
        0.12,
        0.0,
        0.8,
        (10, 14),
        6,
        ("Swim Shorts", "Swimsuit", "Rash Guard"),
    ),
    Subcategory(
        "Stationery",
        "School Supplies",
        (1.0, 15.0),
        0.45,
        BACK_TO_SCHOOL,
        0.02,
        0.8,
        1.5,
        (5, 10),
        12,
        ("Notebook", "Pencil Set", "Backpack", "Highlighters"),
    ),
)

BRANDS: dict[str, tuple[str, ...]] = {
    "Grocery": ("Northfield", "Sunny Acres", "Maison Crème", "Peña Foods", "Harvest Table"),
    "Beverages": ("Blue Harbor", "Café Olé", "Fizzly", "Clearbrook"),
    "Household": ("Brightline", "Homestead", "Sparklo"),
    "Personal Care": ("Purely", "Solénne", "Dentiva"),
    "Electronics": ("Voltix", "Sonora", "Kinetik"),
    "Toys": ("Kidora", "Playwell", "Jouet & Cie"),
    "Home & Garden": ("Greenleaf", "Cucina", "Hearth & Co"),
    "Apparel": ("Urbano", "Trailcrest", "Señorita"),
    "Stationery": ("Scriba", "Inkwell"),
}

VARIANTS: dict[str, tuple[str, ...]] = {
    "Grocery": ("250 g", "500 g", "1 kg", "Family Pack", "Organic"),
    "Beverages": ("500 ml", "1 l", "6-pack", "12-pack", "Zero"),
    "Household": ("Regular", "Lemon", "Value Pack", "Eco"),
    "Personal Care": ("Travel Size", "Regular", "Sensitive", "Men"),
    "Electronics": ("Black", "White", "Blue", "Pro"),
    "Toys": ("Classic", "Deluxe", "Junior"),
    "Home & Garden": ("Small", "Large", "Crème", "Steel"),
    "Apparel": ("S", "M", "L", "XL"),
    "Stationery": ("Blue", "Assorted", "A4", "A5"),
}

CUSTOMER_SEGMENTS: tuple[tuple[str, float], ...] = (
    ("Consumer", 0.55),
    ("Family", 0.25),
    ("Senior", 0.12),
    ("Small Business", 0.08),
)
LOYALTY_TIERS: tuple[tuple[str, float], ...] = (("Bronze", 0.6), ("Silver", 0.3), ("Gold", 0.1))
PAYMENT_TYPES: tuple[tuple[str, float], ...] = (("CARD", 0.62), ("CASH", 0.18), ("MOBILE", 0.20))
SUPPLIER_COUNTRIES: tuple[str, ...] = ("US", "US", "US", "MX", "CA", "DE", "FR", "CN", "VN", "IT")
SUPPLIER_WORDS: tuple[str, ...] = (
    "Acme",
    "Summit",
    "Pioneer",
    "Keystone",
    "Lakeside",
    "Frontier",
    "Meridian",
    "Atlas",
    "Cascade",
    "Evergreen",
    "Granite",
    "Harbor",
    "Liberty",
    "Orchard",
    "Prairie",
    "Redwood",
    "Sterling",
    "Valley",
)
SUPPLIER_SUFFIXES: tuple[str, ...] = ("Foods", "Distribution", "Wholesale", "Trading", "Supply", "Brands")
