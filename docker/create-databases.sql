-- One database per service (docker-compose.kafka.yml, profile "cluster").
CREATE DATABASE order_service;
CREATE DATABASE payment_service;
CREATE DATABASE inventory_service;
CREATE DATABASE analytics_service;
