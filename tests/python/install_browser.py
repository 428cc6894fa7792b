"""Installs through xox's public page in Debian's chromium, driven by selenium: the
"Add to Slack" link, the simulator's consent page (where the user picks a workspace or
the whole org, then Allow or Cancel), and back to xox's page.

Usage: python install_browser.py PUBLIC_APP_URL
Prints one JSON object: the heading each install ended on.
"""

import json
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

public = sys.argv[1]
profile = tempfile.mkdtemp(prefix="xox-chromium-")
options = Options()
options.binary_location = "/usr/bin/chromium"
for flag in [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--user-data-dir={profile}",
]:
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)


def heading():
    return driver.find_element(By.TAG_NAME, "h1").text


def arrived(part):
    """Wait until the browser's navigation has come to a URL holding `part`."""
    WebDriverWait(driver, 20).until(lambda d: part in d.current_url)


def install(team, decision="allow"):
    driver.get(public + "/install")
    driver.find_element(By.ID, "add-to-slack").click()
    arrived("/oauth/v2/authorize")
    Select(driver.find_element(By.ID, "team")).select_by_value(team)
    driver.find_element(By.CSS_SELECTOR, f"button[value={decision}]").click()
    arrived("/oauth_redirect")
    return heading()


seen = {}
try:
    for team in ["T0ONE", "T0TWO", "T0THREE", "E0GRID"]:
        seen[team] = install(team)
    seen["reinstall"] = install("T0TWO")
    seen["denied"] = install("T0ONE", "deny")
    # A state this browser never began, with its own cookie present.
    driver.get(public + "/install")
    driver.get(public + "/oauth_redirect?code=forged&state=forged")
    seen["forged"] = heading()
    seen["forged_text"] = driver.find_element(By.TAG_NAME, "body").text
finally:
    driver.quit()
print(json.dumps(seen))
