-- Staging: copy yesterday's orders from the OLTP schema.
INSERT INTO stg.orders (order_id, customer_id, order_date, amount)
SELECT o.order_id, o.customer_id, o.order_date, o.quantity * o.unit_price
FROM oltp.orders o
WHERE o.order_date >= TRUNC(SYSDATE) - 1;
