DROP TABLE webhook_subscriptions;
DROP TABLE notifications;
