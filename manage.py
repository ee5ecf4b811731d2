#!/usr/bin/env python
from sayso.manage import main

if __name__ == "__main__":
    main()
