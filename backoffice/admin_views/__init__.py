"""The admin screens: a new Admin per application (no module-level Admin)."""
from pathlib import Path

from flask import Flask, redirect, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..models import Action, Adresse, Contact, History, Organisme, Session
from ..security import csp_nonce
from .action import ActionView
from .dashboard import DashboardView, render_dashboard
from .history import HistoryJournalView, RecordHistoryView
from .lheo_imports import LheoImportView
from .monitoring import MonitoringView
from .my_account import MyAccountView
from .organisme import AdresseView, ContactView, OrganismeView
from .organisme_search import OrganismeSearchView
from .programmes import add_programme_views
from .referentials import add_referential_views
from .registrations import RegistrationView
from .session import SessionView
from .support import SupportView
from .users import add_user_views


class HomeView(AdminIndexView):
    """/admin/: the dashboard for those who have one, a landing page otherwise."""

    def is_visible(self):
        return False

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        if permissions.allowed(current_user, "dashboard", "view"):
            return render_dashboard(self)
        return self.render("admin/home.html")


class ContactLink(MenuLink):
    """Contactez-nous (auth/contact.py: the team's mailboxes and the contact form), whatever the role."""

    def is_accessible(self):
        return current_user.is_authenticated


class HelpLink(MenuLink):
    """Aide (backoffice/help/: the help pages and their search), whatever the role."""

    def is_accessible(self):
        return current_user.is_authenticated


# French messages missing from Flask-Admin's own catalogue (backoffice/translations/fr/LC_MESSAGES/admin.po)
TRANSLATIONS = str(Path(__file__).resolve().parent.parent / "translations")


def init_admin(app: Flask) -> Admin:
    admin = Admin(app, name="DOKELIO Île-de-France", index_view=HomeView(name="Accueil", url="/admin"),
                  csp_nonce_generator=csp_nonce, translations_path=TRANSLATIONS,
                  theme=Bootstrap4Theme(base_template="admin/backoffice_master.html", swatch="default"))
    admin.add_view(DashboardView(name="Votre tableau de bord", endpoint="tableau_de_bord", url="/admin/tableau-de-bord"))
    admin.add_view(ActionView(Action, db, name="Actions de formation", endpoint="actions", url="/admin/actions",
                              category="Gérer ses offres"))
    admin.add_view(SessionView(Session, db, name="Sessions", endpoint="sessions", url="/admin/sessions",
                               category="Gérer ses offres"))
    admin.add_view(LheoImportView(name="Importer un flux LHEO", endpoint="imports_lheo", url="/admin/imports-lheo",
                                  category="Gérer ses offres"))
    admin.add_view(OrganismeSearchView(name="Rechercher un organisme", endpoint="organisme_search",
                                       url="/admin/recherche-organismes", category="Gérer ses organismes"))
    admin.add_view(OrganismeView(Organisme, db, name="Organismes", endpoint="organismes", category="Gérer ses organismes"))
    admin.add_view(AdresseView(Adresse, db, name="Carnet d'adresses", endpoint="adresses", category="Gérer ses organismes"))
    admin.add_view(ContactView(Contact, db, name="Carnet de contacts", endpoint="contacts", category="Gérer ses organismes"))
    admin.add_view(RegistrationView(Organisme, db, name="Organismes de formation en brouillon", endpoint="preinscriptions",
                                    url="/admin/preinscriptions", category="Gérer ses organismes"))
    add_programme_views(admin, db)
    admin.add_view(SupportView(name="Support utilisateurs", endpoint="support", url="/admin/support",
                               category="Administration"))
    add_referential_views(admin, db)
    add_user_views(admin, db)
    admin.add_view(HistoryJournalView(History, db, name="Journal des modifications", endpoint="journal",
                                      category="Administration"))
    admin.add_view(RecordHistoryView(name="Historique", endpoint="historique", url="/admin/historique"))
    admin.add_view(MonitoringView(name="Supervision des tâches", endpoint="supervision", url="/admin/supervision",
                                  category="Administration"))
    # last, for every logged-in user whatever the role
    admin.add_view(MyAccountView(name="Mon compte", endpoint="mon_compte", url="/admin/compte"))
    admin.add_link(HelpLink(name="Aide", endpoint="help.index", class_name="menu-aide"))
    admin.add_link(ContactLink(name="Contactez-nous", endpoint="auth.contact", class_name="menu-contact"))
    return admin
