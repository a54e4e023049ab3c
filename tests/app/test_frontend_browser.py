"""The page as a trader uses it, in headless Chromium (Debian's chromium and chromium-driver): place a buy and a
crossing sell through the form, then see the trade, the emptied book and both orders filled; a bad order is refused clearly."""

import shutil
import tempfile
import uuid
from pathlib import Path

import appkit
import pytest

OUTPUT = Path(__file__).resolve().parents[1] / "output"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def site(database):
    """Two back-ends behind a round-robin, and the front-end in front: the stack on loopback."""
    backends = [appkit.start_backend(database, "shared") for _instance in range(2)]
    balancer = appkit.RoundRobin([b.url for b in backends])
    frontend = appkit.start_frontend(balancer.url)
    yield frontend.url
    frontend.stop()
    balancer.stop()
    for backend in backends:
        backend.stop()


@pytest.fixture
def browser():
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed (tools/system-packages.sh installs them)")
    profile = tempfile.mkdtemp(prefix="hatrading-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-dev-shm-usage", "--window-size=1300,900", "--user-data-dir=" + profile):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def place(browser, side, price, quantity):
    browser.find_element(By.CSS_SELECTOR, "input[name=side][value=%s] + span" % side).click()
    for name, value in (("price", price), ("quantity", quantity)):
        field = browser.find_element(By.ID, name)
        field.clear()
        field.send_keys(value)
    browser.find_element(By.ID, "place").click()


def cells(browser, tbody):
    """The table's cell texts, read in one script run (the page redraws its tables every second)."""
    script = "return Array.from(document.querySelectorAll('#' + arguments[0] + ' tr'), r => Array.from(r.cells, c => c.innerText.trim()))"
    return browser.execute_script(script, tbody)


def wait_for(browser, what, condition, timeout=15):
    WebDriverWait(browser, timeout, poll_frequency=0.2).until(lambda _driver: condition(), message=what)


def test_a_trader_places_a_buy_and_a_crossing_sell(site, browser):
    symbol = "W" + uuid.uuid4().hex[:6].upper()
    browser.get(site + "/")
    assert browser.title == "hatrading"
    wait_for(browser, "the page is live", lambda: browser.find_element(By.ID, "live").text.startswith("live"))
    field = browser.find_element(By.ID, "symbol")
    field.clear()
    field.send_keys(symbol)
    wait_for(browser, "the empty book of the new symbol", lambda: cells(browser, "bids") == [["no bids"]] and cells(browser, "asks") == [["no asks"]])

    place(browser, "buy", "10.00", "5")
    wait_for(browser, "the buy acknowledged", lambda: "Bought 0 of 5 %s" % symbol in browser.find_element(By.ID, "message").text)
    wait_for(browser, "the bid in the book", lambda: cells(browser, "bids") == [["10.00", "5"]])

    # a click on the bid fills the ticket to sell at its price
    browser.execute_script("document.querySelector('#bids tr.level').click()")  # one step: the table is redrawn every second
    assert browser.find_element(By.ID, "price").get_attribute("value") == "10.00"
    assert browser.find_element(By.CSS_SELECTOR, "input[name=side][value=sell]").is_selected()
    place(browser, "sell", "9.50", "5")
    wait_for(browser, "the sell filled", lambda: "Sold 5 of 5 %s" % symbol in browser.find_element(By.ID, "message").text)
    wait_for(browser, "the trade in recent trades", lambda: [row[1:] for row in cells(browser, "trades")] == [["10.00", "5"]])
    wait_for(browser, "the emptied book", lambda: cells(browser, "bids") == [["no bids"]] and cells(browser, "asks") == [["no asks"]])
    # both orders in "My orders", the resting buy updated to filled by polling
    wait_for(browser, "both orders filled", lambda: [(r[1], r[2], r[5], r[6], r[7]) for r in cells(browser, "orders")] == [
        (symbol, "sell", "5", "0", "filled"),
        (symbol, "buy", "5", "0", "filled"),
    ])  # fmt: skip

    place(browser, "buy", "-1", "5")
    wait_for(browser, "the rejection shown", lambda: browser.find_element(By.ID, "message").text == "Order rejected: price: expected a positive number")
    assert cells(browser, "orders")[0][7].startswith("rejected")
    OUTPUT.mkdir(exist_ok=True)
    browser.save_screenshot(str(OUTPUT / "frontend-trade.png"))
