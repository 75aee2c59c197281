"""Part II of the report is Human Resources (the official French version's table of contents),
not the experts' second cluster, Judiciary: correct a database loaded from the earlier reference
data, unless someone changed that name since."""

from django.db import migrations

NOTE = (
    "Part II of the report: the official French version's table of contents reads "
    '"II. RESSOURCES HUMAINES" (p. 49), and the Court\'s overall response ICC-ASP/20/2 follows it '
    '("II. Recursos humanos"). Not the experts\' second cluster, Judiciary (Bednarek, Bonomy, '
    "Othman). The names of the later parts are not recorded."
)

SOURCE = (
    "https://fr.slideshare.net/fatmatacherif/examen-de-la-cour-pnale-internationale-et-du-"
    "systme-du-statut-de-rome-par-des-experts-indpendants-rapport-final-des-experts-indepedants-"
    "rapport-final-2-1"
)


def part_ii(apps, schema_editor):
    Cluster = apps.get_model("recommendations", "Cluster")
    Cluster.objects.using(schema_editor.connection.alias).filter(
        code="II", name="Judiciary"
    ).update(name="Human Resources", name_fr="Ressources humaines", note=NOTE, source_url=SOURCE)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0008_import_any_matrix")]

    operations = [migrations.RunPython(part_ii, migrations.RunPython.noop)]
