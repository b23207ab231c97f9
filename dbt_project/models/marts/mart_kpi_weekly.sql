{{ kpi_by_period('week_start', 52) }}
