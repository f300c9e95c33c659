"""Load the fictional demo customers; safe to run any number of times."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_CUSTOMERS
from accounts.models import Customer
from accounts.services import customer_create


class Command(BaseCommand):
    help = "Create the fictional demo customers listed in the README (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for demo in DEMO_CUSTOMERS:
            if Customer.objects.filter(user_id=demo.user_id).exists():
                continue
            customer_create(
                user_id=demo.user_id,
                name=demo.name,
                resident_number=demo.resident_number,
                phone=demo.phone,
                email=demo.email,
                kind=demo.kind,
                internet_banking_enrolled=demo.internet_banking_enrolled,
            )
            created += 1
        self.stdout.write(
            f"Demo customers: {created} created, {len(DEMO_CUSTOMERS) - created} already present."
        )
