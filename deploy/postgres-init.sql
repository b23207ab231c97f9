-- Run once by the postgres image on an empty volume: Superset's own metadata database beside the warehouse.
CREATE DATABASE superset OWNER shelfcast;
