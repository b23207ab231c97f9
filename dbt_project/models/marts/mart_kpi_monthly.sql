{{ kpi_by_period('month_start', 12) }}
