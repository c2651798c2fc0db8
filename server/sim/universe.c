/* universe.c - the default symbol universe and the demo portfolio. */
#include "server/sim/internal.h"

/* A price in cents, as a constant st_dec. */
#define PX(cents) \
  { (int64_t)(cents) * (ST_DEC_SCALE / 100) }
/* A quantity in tenths of a share, as a constant st_dec. */
#define QT(tenths) \
  { (int64_t)(tenths) * (ST_DEC_SCALE / 10) }

/* Well-known US stocks and ETFs with plausible prices. BRK.A and AMC are
 * not fractionable; everything is tradable. */
static const st_sim_asset_init universe[] = {
    {"AAPL", "Apple Inc.", "NASDAQ", PX(19000), 1, 1},
    {"MSFT", "Microsoft Corporation", "NASDAQ", PX(42000), 1, 1},
    {"NVDA", "NVIDIA Corporation", "NASDAQ", PX(12000), 1, 1},
    {"AMZN", "Amazon.com, Inc.", "NASDAQ", PX(18500), 1, 1},
    {"GOOGL", "Alphabet Inc. Class A", "NASDAQ", PX(17000), 1, 1},
    {"META", "Meta Platforms, Inc.", "NASDAQ", PX(50000), 1, 1},
    {"TSLA", "Tesla, Inc.", "NASDAQ", PX(24000), 1, 1},
    {"AVGO", "Broadcom Inc.", "NASDAQ", PX(16000), 1, 1},
    {"BRK.B", "Berkshire Hathaway Inc. Class B", "NYSE", PX(41000), 1, 1},
    {"BRK.A", "Berkshire Hathaway Inc. Class A", "NYSE", PX(62000000), 1, 0},
    {"JPM", "JPMorgan Chase & Co.", "NYSE", PX(20000), 1, 1},
    {"V", "Visa Inc.", "NYSE", PX(27500), 1, 1},
    {"MA", "Mastercard Incorporated", "NYSE", PX(46000), 1, 1},
    {"UNH", "UnitedHealth Group Incorporated", "NYSE", PX(52000), 1, 1},
    {"JNJ", "Johnson & Johnson", "NYSE", PX(15500), 1, 1},
    {"WMT", "Walmart Inc.", "NYSE", PX(6800), 1, 1},
    {"PG", "The Procter & Gamble Company", "NYSE", PX(16500), 1, 1},
    {"HD", "The Home Depot, Inc.", "NYSE", PX(35000), 1, 1},
    {"XOM", "Exxon Mobil Corporation", "NYSE", PX(11500), 1, 1},
    {"CVX", "Chevron Corporation", "NYSE", PX(15500), 1, 1},
    {"KO", "The Coca-Cola Company", "NYSE", PX(6200), 1, 1},
    {"PEP", "PepsiCo, Inc.", "NASDAQ", PX(17000), 1, 1},
    {"COST", "Costco Wholesale Corporation", "NASDAQ", PX(85000), 1, 1},
    {"ABBV", "AbbVie Inc.", "NYSE", PX(17000), 1, 1},
    {"MRK", "Merck & Co., Inc.", "NYSE", PX(12500), 1, 1},
    {"ORCL", "Oracle Corporation", "NYSE", PX(14000), 1, 1},
    {"CSCO", "Cisco Systems, Inc.", "NASDAQ", PX(4800), 1, 1},
    {"INTC", "Intel Corporation", "NASDAQ", PX(3000), 1, 1},
    {"AMD", "Advanced Micro Devices, Inc.", "NASDAQ", PX(16000), 1, 1},
    {"NFLX", "Netflix, Inc.", "NASDAQ", PX(65000), 1, 1},
    {"DIS", "The Walt Disney Company", "NYSE", PX(9500), 1, 1},
    {"BAC", "Bank of America Corporation", "NYSE", PX(3800), 1, 1},
    {"PFE", "Pfizer Inc.", "NYSE", PX(2800), 1, 1},
    {"T", "AT&T Inc.", "NYSE", PX(1800), 1, 1},
    {"VZ", "Verizon Communications Inc.", "NYSE", PX(4000), 1, 1},
    {"AMC", "AMC Entertainment Holdings, Inc.", "NYSE", PX(450), 1, 0},
    {"SPY", "SPDR S&P 500 ETF Trust", "ARCA", PX(54000), 1, 1},
    {"QQQ", "Invesco QQQ Trust", "NASDAQ", PX(47000), 1, 1},
    {"IWM", "iShares Russell 2000 ETF", "ARCA", PX(21000), 1, 1},
    {"VTI", "Vanguard Total Stock Market ETF", "ARCA", PX(27000), 1, 1},
    {"AGG", "iShares Core U.S. Aggregate Bond ETF", "ARCA", PX(9800), 1, 1},
    {"BND", "Vanguard Total Bond Market ETF", "NASDAQ", PX(7200), 1, 1},
    {"GLD", "SPDR Gold Shares", "ARCA", PX(21500), 1, 1},
    {"TLT", "iShares 20+ Year Treasury Bond ETF", "NASDAQ", PX(9200), 1, 1},
};

/* The demo portfolio documented in sim.h. */
static const st_sim_position_init demo_positions[] = {
    {"AAPL", QT(500), PX(17250)}, {"MSFT", QT(200), PX(38000)},
    {"NVDA", QT(400), PX(9500)},  {"AMZN", QT(155), PX(16000)},
    {"SPY", QT(300), PX(48000)},  {"VTI", QT(250), PX(24000)},
    {"AGG", QT(600), PX(9650)},
};

#define DEMO_CASH_DOLLARS 25000

void st_sim_market_default_universe(const st_sim_asset_init **rows, size_t *n) {
  *rows = universe;
  *n = sizeof(universe) / sizeof(universe[0]);
}

void st_sim_start_demo(st_sim_start *start) {
  start->cash = st_dec_from_int(DEMO_CASH_DOLLARS);
  start->positions = demo_positions;
  start->npositions = sizeof(demo_positions) / sizeof(demo_positions[0]);
  start->universe = NULL;
  start->nuniverse = 0;
}

void st_sim_start_cash(st_sim_start *start, st_dec cash) {
  start->cash = cash;
  start->positions = NULL;
  start->npositions = 0;
  start->universe = NULL;
  start->nuniverse = 0;
}
