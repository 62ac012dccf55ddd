ALTER TABLE "point_transactions" ADD COLUMN "reference" text;--> statement-breakpoint
ALTER TABLE "point_transactions" ADD COLUMN "paired_with" uuid;--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "paired_with" uuid;