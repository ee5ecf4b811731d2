"""Re-encrypt every encrypted value under the first key of SAYSO_ENCRYPTION_KEYS.

Rotation: put the new key first and keep the old ones after it, run this command, then
remove the old keys. MultiFernet.rotate re-encrypts each token without the plaintext ever
passing through the ORM (or a log); a value no configured key can read stops the command
before anything is changed.
"""

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core.crypto import encrypted_fields, fernet


class Command(BaseCommand):
    help = "Re-encrypt all personal data under the first key in SAYSO_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        keys = fernet()
        rotated = 0
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            for model, field in encrypted_fields():
                table, column = quote(model._meta.db_table), quote(field.column)
                pk = quote(model._meta.pk.column)
                # Read and write the stored text itself: the ORM would decrypt on the way in
                # and encrypt on the way out.
                cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
                for row_id, token in cursor.fetchall():
                    try:
                        fresh = keys.rotate(token.encode("ascii")).decode("ascii")
                    except InvalidToken as error:
                        raise CommandError(
                            f"{model._meta.label}.{field.name} of row {row_id} can't be read "
                            "with any configured key; nothing was changed."
                        ) from error
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [fresh, row_id],
                    )
                    rotated += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {rotated} values under the first key."))
