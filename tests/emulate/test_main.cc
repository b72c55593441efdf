#define BOOST_TEST_MODULE emulate
#include <boost/test/unit_test.hpp>
