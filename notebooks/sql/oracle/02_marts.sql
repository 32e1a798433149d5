-- Marts: revenue per customer and month, from staging.
CREATE TABLE mart.customer_revenue AS
SELECT s.customer_id,
       TRUNC(s.order_date, 'MM') AS month,
       SUM(s.amount) AS revenue,
       COUNT(*) AS orders
FROM stg.orders s
JOIN oltp.customers c ON c.customer_id = s.customer_id
WHERE c.is_test = 'N'
GROUP BY s.customer_id, TRUNC(s.order_date, 'MM');
