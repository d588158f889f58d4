# Each person's inbound token bucket (WHATSAPP_INBOUND_*), and messages it limited.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('whatsapp', '0002_alter_storedmedia_media_id'),
    ]

    operations = [
        migrations.AddField(
            model_name='contact',
            name='inbound_tokens',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='contact',
            name='inbound_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='contact',
            name='slowed_told_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='inboundmessage',
            name='state',
            field=models.CharField(choices=[('received', 'diterima'), ('processed', 'diproses'), ('failed', 'gagal diproses'), ('limited', 'dibatasi (terlalu cepat)')], default='received', max_length=10),
        ),
    ]
