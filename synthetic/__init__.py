"""The synthetic retailer: the outside world shelfcast ingests from.

It lives apart from `ingestion/` on purpose: ingestion may only see what a real retailer's systems would
hand over (POS CSV exports, an ERP database, a REST API), never the generator's internals.
"""
